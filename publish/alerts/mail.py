"""E-mail channel: one plain-text message over SMTP (smtplib), STARTTLS and login when configured."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Mapping, Sequence

from publish.alerts.config import SmtpSettings
from publish.alerts.errors import ChannelError


def build_message(
    smtp: SmtpSettings,
    recipients: Sequence[str],
    subject: str,
    body: str,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = smtp.from_addr
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = smtp.from_addr.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("secops-alert", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def _response_text(message: bytes | str) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


def send_email(smtp: SmtpSettings, message: EmailMessage, *, timeout: float) -> int:
    """Send one message; returns how many recipients the server refused (others accepted)."""
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
            client.ehlo()
            encrypted = False
            if smtp.starttls is not False and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
                encrypted = True
            elif smtp.starttls is True:
                raise ChannelError(
                    "the SMTP server does not offer STARTTLS (SECOPS_SMTP_STARTTLS=true)", retryable=False
                )
            if smtp.user:
                if not encrypted and smtp.starttls is not False:
                    raise ChannelError(
                        "the SMTP server offers no STARTTLS; credentials are not sent unencrypted "
                        "unless SECOPS_SMTP_STARTTLS=false",
                        retryable=False,
                    )
                client.login(smtp.user, smtp.password or "")
            refused = client.send_message(message)
            return len(refused)
    except ChannelError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelError(f"SMTP authentication failed ({exc.smtp_code})", retryable=False) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise ChannelError(f"SMTP server refused all {len(exc.recipients)} recipients", retryable=False) from None
    except smtplib.SMTPConnectError as exc:
        raise ChannelError(
            f"SMTP server refused the connection ({exc.smtp_code})", retryable=True, unreachable=True
        ) from None
    except smtplib.SMTPResponseException as exc:
        # 4xx is transient by definition; 5xx is permanent.
        raise ChannelError(
            f"SMTP {exc.smtp_code}: {_response_text(exc.smtp_error)}", retryable=exc.smtp_code < 500
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise ChannelError(f"SMTP TLS certificate not trusted: {exc.verify_message}", retryable=False) from None
    except smtplib.SMTPServerDisconnected as exc:
        raise ChannelError(f"SMTP server disconnected: {exc}", retryable=True, unreachable=True) from None
    except smtplib.SMTPException as exc:
        raise ChannelError(f"{type(exc).__name__}: {exc}", retryable=True) from None
    except OSError as exc:  # refused, unreachable, DNS, timeout
        raise ChannelError(
            f"cannot reach the SMTP server: {type(exc).__name__}: {exc}", retryable=True, unreachable=True
        ) from None
