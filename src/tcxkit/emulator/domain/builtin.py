"""What every 3CX PBX ships with, demo or empty: its prompt set and its e-mail templates.

A freshly installed PBX already holds the English prompt set and the notification
e-mail templates; XAPI can read and change them but not create them (there is no
``CreatePromptSet`` or ``CreateEmailTemplate``).  Without them an emulated PBX could
not answer ``UpdatePromptSet`` or ``UpdateEmailTemplate`` at all.  Seeded once: a
stored database keeps its own (edited) rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..registry import on_start

# Their start hooks first: the demo's DNs keep their Ids whatever this module adds.
from . import seeding, storyline  # noqa: F401

if TYPE_CHECKING:
    from ..state import AppState

__all__: list[str] = []

_PROMPT_SET = {
    "PromptSetName": "English (UK)",
    "Description": "Default prompt set",
    "CultureCode": "en-GB",
    "LanguageCode": "EN",
    "Folder": "prompts/en-gb",
    "PromptSetType": "System",
    "Version": "20.0.1",
    "UseAlternateNumberPronunciation": False,
    "Prompts": [
        {"Id": "PleaseHold", "Filename": "PleaseHold.wav", "Transcription": "Please hold."},
        {
            "Id": "AllAgentsBusy",
            "Filename": "AllAgentsBusy.wav",
            "Transcription": "All our agents are busy, please stay on the line.",
        },
        {
            "Id": "LeaveMessage",
            "Filename": "LeaveMessage.wav",
            "Transcription": "Please leave a message after the tone.",
        },
    ],
}

#: (template path, name, subject): the notifications an admin edits most.
_TEMPLATES = (
    ("Templates/Email/VoicemailNotification.html", "Voicemail notification",
     "New voicemail from %CallerName% (%CallerNumber%)"),
    ("Templates/Email/MissedCallNotification.html", "Missed call notification",
     "Missed call from %CallerName% (%CallerNumber%)"),
    ("Templates/Email/WelcomeEmail.html", "Welcome e-mail",
     "Your 3CX account %Extension% is ready"),
)  # fmt: skip


@on_start
def _builtin(state: AppState) -> None:
    if "PromptSets" in state.sets:
        prompts = state.entity_set("PromptSets")
        if not len(prompts):
            prompts.insert(_PROMPT_SET)
    if "EmailTemplate" in state.sets:
        templates = state.entity_set("EmailTemplate")
        if not len(templates):
            templates.insert_many(
                {
                    "TemplatePath": path,
                    "Name": name,
                    "Subject": subject,
                    "From": "%PbxName% <noreply@acme.example>",
                    "Lang": "EN",
                    "IsDefault": True,
                    "IsConference": False,
                    "Body": f"<p>{subject}</p>",
                }
                for path, name, subject in _TEMPLATES
            )
