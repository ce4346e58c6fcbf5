"""Reminder wording in each language NerveTrack speaks, and local dates to match (pure data).

Our own plain words; nothing here names a diagnosis, a nerve, a procedure, a questionnaire or a
score (reminders show on lock screens and shared inboxes). Dates are Gregorian in every
language; Persian gets Persian digits.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

_EN = {
    "subject": "{clinic}: how are you doing?",
    "greeting": "Hi {name},",
    "body": "{clinic} would like to hear how you are doing. It takes about two minutes.",
    "deadline": "Please answer by {deadline}:",
    "sign": "Thank you,\n{clinic}",
    "stop_email": "To stop these reminders: {link}",
    "sms": "Hi {name}, {clinic} would like to hear how you are doing (about 2 min). "
           "Please answer by {deadline}: {link}",
    "sms_short": "{clinic}: how are you doing? About 2 min. Answer by {deadline}: {link}",
    "sms_stop": "Reply STOP to stop reminders.",
    "there": "there",
}
_FR = {
    "subject": "{clinic} : comment allez-vous ?",
    "greeting": "Bonjour {name},",
    "body": "{clinic} aimerait savoir comment vous allez. Cela prend environ deux minutes.",
    "deadline": "Merci de répondre avant le {deadline} :",
    "sign": "Merci,\n{clinic}",
    "stop_email": "Pour ne plus recevoir ces rappels : {link}",
    "sms": "Bonjour {name}, {clinic} aimerait savoir comment vous allez (2 min environ). "
           "Répondez avant le {deadline} : {link}",
    "sms_short": "{clinic} : comment allez-vous ? 2 min. Avant le {deadline} : {link}",
    "sms_stop": "Répondez STOP pour arrêter les rappels.",
    "there": "",
}
_ES = {
    "subject": "{clinic}: ¿cómo se encuentra?",
    "greeting": "Hola, {name}:",
    "body": "{clinic} quiere saber cómo se encuentra. Le llevará unos dos minutos.",
    "deadline": "Por favor, responda antes del {deadline}:",
    "sign": "Gracias,\n{clinic}",
    "stop_email": "Para dejar de recibir estos recordatorios: {link}",
    "sms": "Hola, {name}. {clinic} quiere saber cómo se encuentra (unos 2 min). "
           "Responda antes del {deadline}: {link}",
    "sms_short": "{clinic}: ¿cómo se encuentra? 2 min. Antes del {deadline}: {link}",
    "sms_stop": "Responda BAJA para no recibir más recordatorios.",
    "there": "",
}
_FA = {
    "subject": "{clinic}: حالتان چطور است؟",
    "greeting": "{name} عزیز، سلام",
    "body": "{clinic} می‌خواهد بداند حالتان چطور است. حدود دو دقیقه وقت می‌گیرد.",
    "deadline": "لطفاً تا {deadline} پاسخ دهید:",
    "sign": "سپاس\n{clinic}",
    "stop_email": "برای دریافت نکردن این یادآوری‌ها: {link}",
    "sms": "{name} عزیز، {clinic} می‌خواهد بداند حالتان چطور است (حدود ۲ دقیقه). "
           "لطفاً تا {deadline} پاسخ دهید: {link}",
    "sms_short": "{clinic}: حالتان چطور است؟ ۲ دقیقه. تا {deadline}: {link}",
    "sms_stop": "برای قطع یادآوری‌ها «لغو» را بفرستید.",
    "there": "",
}
WORDS = {"en": _EN, "fr": _FR, "es": _ES, "fa": _FA}

# What a patient may text back to stop reminders, per language (matched case- and
# accent-insensitively, as the whole message). Every language also accepts the English words.
STOP_WORDS = {
    "en": ("stop", "stopall", "unsubscribe", "cancel", "end", "quit"),
    "fr": ("stop", "arret", "arreter", "desabonner"),
    "es": ("baja", "parar", "cancelar"),
    "fa": ("لغو", "توقف"),
}

_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "fa": ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنج‌شنبه", "جمعه", "شنبه", "یکشنبه"),
}
_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
    "fa": ("ژانویه", "فوریه", "مارس", "آوریل", "مه", "ژوئن", "ژوئیه", "اوت", "سپتامبر",
           "اکتبر", "نوامبر", "دسامبر"),
}
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def words_for(language: str) -> dict[str, str]:
    """Return the reminder wording for a language tag ('fr-CA' -> French), English if unknown."""
    return WORDS.get((language or "en").split("-")[0].lower(), _EN)


def _base(language: str) -> str:
    base = (language or "en").split("-")[0].lower()
    return base if base in WORDS else "en"


def local_date_text(local: datetime, language: str, short: bool = False) -> str:
    """Format a local time as the language writes a deadline: 'Tuesday 3 March, 11:59 pm'."""
    lang = _base(language)
    weekday, month = _WEEKDAYS[lang][local.weekday()], _MONTHS[lang][local.month - 1]
    if lang == "en":
        hour = local.hour % 12 or 12
        clock = f"{hour}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"
        if short:
            weekday, month = weekday[:3], month[:3]
        return f"{weekday} {local.day} {month}, {clock}"
    clock = f"{local.hour:02d}:{local.minute:02d}"
    day = f"{local.day} de {month}" if lang == "es" else f"{local.day} {month}"
    text = day if short else f"{weekday} {day}"
    if lang == "fa":
        return f"{text}، ساعت {clock}".translate(_PERSIAN_DIGITS)
    return f"{text}, {clock}"


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip(" .!")


def is_stop_request(text: str) -> bool:
    """Tell whether an inbound SMS asks to stop reminders, in any language we speak."""
    folded = _folded(text or "")
    return any(folded == word for words in STOP_WORDS.values() for word in words)
