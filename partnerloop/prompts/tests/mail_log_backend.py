"""An e-mail backend for the worker tests: appends each message's Message-ID to the file
named by PL_MAIL_LOG, and kills its own process (SIGKILL, no clean-up) before sending
message number PL_KILL_AFTER + 1 when that is set."""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from pathlib import Path

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class MailLogBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        log = Path(os.environ["PL_MAIL_LOG"])
        kill_after = int(os.environ.get("PL_KILL_AFTER") or 0)
        for message in email_messages:
            sent = len(log.read_text().splitlines()) if log.exists() else 0
            if kill_after and sent >= kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
            with log.open("a") as out:
                out.write(message.message()["Message-ID"] + "\n")
        return len(email_messages)
