"""What a PBX's text fields hold, by field name: the sample-value table of the generator.

An operation without domain logic answers with values generated from its schema
(:mod:`.responses`); a schema says ``type: string`` and no more for most fields, so the
field's *name* decides what the text looks like: a ``MailServer`` holds a host name, a
``TimeZoneId`` a zone id, a ``DialCodePark`` a star code.  The table below is data: the
first rule whose pattern matches the field name (``re.search``) gives the candidates, one
is picked by the seeded generator.  Candidates may hold placeholders that are filled per
value: ``{d3}`` (three digits), ``{hex10}`` (ten hex digits), ``{uuid}``.

Names are the demo company's (Acme Widgets, UK, ``acme.example``); addresses use the
documentation ranges (RFC 5737 IPv4, ``.example`` hosts), numbers the UK's drama range
(+44 20 7946 0xxx), languages and zones their real code sets.  A field no rule knows
gets an empty string, as an unset setting of a PBX reads.
"""

from __future__ import annotations

import random
import re
import uuid

__all__ = ["EXACT", "RULES", "sample_text"]

_SECRET = ("Vq7#mR2tLx9pKd", "h8Rw!3nZc5TqYe", "Jp4$sWv9Lk2bNx")
_HOSTS = ("pbx.acme.example", "sip.acme.example", "files.acme.example")

#: Fields whose values must differ from each other's: one value each, exactly.
EXACT: dict[str, str] = {
    # star codes a PBX dials for its features; two features never share one
    "DialCodeBillingCode": "*66",
    "DialCodeHideCallerID": "*67",
    "DialCodeHotdesking": "*55",
    "DialCodeHotelAccess": "*56",
    "DialCodeIntercom": "*9",
    "DialCodeLoggedInQueue": "*62",
    "DialCodeLoggedOutQueue": "*63",
    "DialCodeOutOffice": "*28",
    "DialCodePark": "*10",
    "DialCodePickup": "*20",
    "DialCodeProfileStatus": "*29",
    "DialCodeUnpark": "*11",
    "DialCodeVMail": "*999",
}

#: (field-name pattern, candidates); first match wins, so specific rules come first.
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # -- secrets: plausible, and masked by every client anyway
    (r"Password|Secret|PrivateKey|AccessKey$|^Contents$|^Value$|Token$|ApiKey$", _SECRET),
    (
        r"HostKey$",
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq3n8Vb1xk8Qm0pYc5tR2wZ9fLh4sJd6gKe1aXo2uNv",),
    ),
    (
        r"TemplateContents",
        ("You are the receptionist of Acme Widgets. Greet the caller and ask how you can help.",),
    ),
    (r"UpdateDetails", ("Security fixes and stability improvements.",)),
    (r"ProvLink$", ("https://pbx.acme.example/provisioning/{hex10}/",)),
    (
        r"^Certificate$",
        ("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUX3cx\n-----END CERTIFICATE-----",),
    ),
    # -- time zones and languages, from their real code sets
    (r"TimeZone", ("Europe/London",)),
    (r"CultureCode|TranscribeLanguage|^Code$", ("en-GB", "en-US", "de-DE")),
    (r"LanguageCode", ("en",)),
    (r"Language$|Lang$", ("EN",)),
    (r"PromptSetName", ("English (United Kingdom)",)),
    (r"^PromptSet$", ("{uuid}",)),
    # -- addresses
    (
        r"Email|MailAddress|MailUser|ExchangeUser|SelectedUsers|Mailbox",
        ("pbx@acme.example", "alice.archer@acme.example", "it@acme.example"),
    ),
    (
        r"(Ip|IP)(Address)?$|IpWhitelist|Addr$|IPinSIP|IPForRegistration|StaticIP",
        ("192.0.2.10", "203.0.113.25", "198.51.100.7"),
    ),
    (r"Stun\w*Host", ("stun.3cx.com", "stun2.3cx.com")),
    (r"MailServer", ("smtp.acme.example",)),
    (r"ExchangeServerUrl", ("https://outlook.office365.com/EWS/Exchange.asmx",)),
    (
        r"Url$|URL$|Link$|Webhook$",
        ("https://pbx.acme.example/webhook/sms", "https://www.3cx.com/docs/"),
    ),
    (r"Host$|Fqdn$|FQDN$|Server$|Domain$|Registrar$|UriHost$|SipDomain", _HOSTS),
    (r"Fingerprint", ("SHA256:3q7nVb1xk8Qm0pYc5tR2wZ9fLh4sJd6gKe1aXo2uNv8",)),
    (r"Interface$|Iface", ("eth0", "ens18")),
    (r"Region$", ("eu-west-2", "eu-central-1")),
    (r"BucketName", ("acme-pbx-archive",)),
    (r"^Database$", ("pbx_cdr",)),
    (r"User(Name|name|Id)?$|Username", ("pbxarchive", "backup", "svc-3cx")),
    (
        r"(Ftp|Sftp|Ns|S3|Gb|Local|SharePoint|Recording)Path|^Folder$|Path$",
        ("/var/lib/3cxpbx/Instance1/Data/Recordings", "pbx/archive"),
    ),
    # -- phone numbers and dial codes
    (r"^DialCode", ("*70",)),  # one each in EXACT; a new one of a later release
    (r"^E164CountryCode$|^CountryCode$|DialPlanCode", ("44",)),
    (r"CountryCodes", ("44", "353")),
    (r"NationalCode", ("0",)),
    (r"InternationalCode", ("00",)),
    (r"AreaCode", ("20",)),
    (r"CountryName|^Country$", ("United Kingdom",)),
    (r"CityName", ("London", "Manchester")),
    (r"^Zone$", ("eu-west",)),
    (r"DigitsLength", ("10", "11")),
    (r"Pref?fix$", ("9", "0")),
    (r"PIN|PinNumber", ("{d4}",)),
    (
        r"Extension(s|Number)?$|NumberFrom$|NumberTo$|DN$|Dn$|^Number$|DnNumber|SpecifiedList|Blfs",
        ("1{d2}",),
    ),
    (r"Number(s)?$|CallerID$|Mobile|^DID$|External$|Phone", ("+44207946{d4}",)),
    (r"AuthI[Dd]$|SIPID|SeparateAuthId|ClickToCallId", ("{hex10}",)),
    # -- names and words
    (r"CompanyName", ("Acme Widgets Ltd",)),
    (r"ResellerName", ("Northwind Telecom",)),
    (r"FirstName", ("Alice", "Bob")),
    (r"LastName", ("Archer", "Baker")),
    (r"DisplayName|FriendlyName|UserName", ("Alice Archer", "Bob Baker")),
    (r"CertificateName", ("pbx.acme.example",)),
    (r"NameOfCustomAvailable", ("Working remotely",)),
    (r"NameOfCustomOutOfOffice", ("On holiday",)),
    (r"Profile(Name|Available|Away|DND)?$|DNDProfile", ("Available", "Away", "Out of office")),
    (r"Groups$|^Group$", ("Sales", "Support")),
    (r"RuleName", ("Main number", "Support line")),
    (r"^Trunk$|^Provider$", ("BT SIP Trunk", "Twilio")),
    (r"ObjectName", ("User 100", "Queue 800")),
    (r"^Name$", ("Default", "Head office", "London")),
    (
        r"Description|Instructions|SystemPrompt|FirstMessage",
        ("Answers calls for Acme Widgets and routes them to sales or support.",),
    ),
    (r"Html$", ("<p>Acme Widgets</p>",)),
    (r"(New|Prev)Data$", ('{"Enabled":true}', '{"Enabled":false}')),
    (r"Message$|Issue$|^HotdeskingAssignment$|CustomData|^Data$|AdditionalInfo", ("",)),
    # -- files and media
    (r"MusicOnHold\d*$|Prompt$|Greeting|Playlist", ("onhold.wav", "welcome.wav", "closed.wav")),
    (r"Image$|Logo", ("logo.png",)),
    (r"Script(Name)?$", ("failover.sh",)),
    (r"TemplateFilename", ("GenericSIPTrunk.pv.xml",)),
    (r"File[Nn]ames?$|Knowledgebase", ("price-list.pdf", "faq.pdf")),
    (r"Codec", ("G722", "PCMA", "PCMU", "OPUS")),
    # -- identifiers
    (r"Guid|TenantId|ApplicationId|ClientId|Sessionid|^Id$", ("{uuid}",)),
    (r"ProjectId", ("acme-pbx-{d4}",)),
    (r"McuId|MeetingId|ResellerId|LocationId", ("{d6}",)),
    (r"^Key$", ("CallerNumber", "CallerName")),
    # -- versions, models and kinds
    (r"OSVersion", ("Debian 12",)),
    (r"ServerOS$", ("Linux",)),
    (r"Version$", ("20.0.10.2003", "20.0.9.1922")),
    (r"Model\w*$", ("gpt-4o-mini", "whisper-1")),
    (r"^Voice$", ("alloy", "nova")),
    (r"^Gender$", ("Female", "Male")),
    (r"^Category$", ("Security", "Stability")),
    (r"Subscription(Type)?$", ("Enterprise", "Annual")),
    (r"^Type$|AgentType", ("Receptionist", "Extension")),
    (r"^Action$", ("Block",)),
    (r"PossibleFields", ("historyid", "callid", "duration")),
    (r"ReplacePattern", ("+44",)),
    (r"SourcePattern", ("0*",)),
    (r"RestartTime|StartTime$", ("03:00",)),
    (r"ExpirationDate$", ("2027-03-31",)),
    (r"^Example$", ("Hello, you have reached Acme Widgets.",)),
)

_COMPILED = tuple((re.compile(pattern), values) for pattern, values in RULES)
_FIELD = re.compile(r"\{(d\d|hex10|uuid)\}")


def sample_text(name: str, rng: random.Random) -> str | None:
    """The text a PBX's field ``name`` plausibly holds; ``None`` when no rule knows it."""
    if name in EXACT:
        return EXACT[name]
    for pattern, values in _COMPILED:
        if pattern.search(name):
            return _FIELD.sub(lambda m: _fill(m.group(1), rng), values[rng.randrange(len(values))])
    return None


def _fill(kind: str, rng: random.Random) -> str:
    if kind == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if kind == "hex10":
        return f"{rng.getrandbits(40):010x}"
    digits = int(kind[1:])
    return "".join(str(rng.randrange(10)) for _ in range(digits))
