"""Portal mails (issue 10): invitation, verification codes, planned-outage notices; nl/fr/de/en.
Joined into adapters/mail_texts.TEXTS (rendered by mail_texts.render)."""

from __future__ import annotations

PORTAL_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "portal_invitation": {
        "nl": ("Uw toegang tot Mijn WattDesk", "Beste {{ first_name }},\n\nMet Mijn WattDesk ziet u uw contracten, facturen en voorschotten, en geeft u zelf uw meterstanden door.\nKies hier uw wachtwoord (de link werkt één keer en is geldig tot {{ valid_until }}):\n{{ link }}\n\nUw klantnummer: {{ customer_number }}\n\nWattDesk"),
        "fr": ("Votre accès à Mon WattDesk", "Bonjour {{ first_name }},\n\nAvec Mon WattDesk, vous consultez vos contrats, factures et acomptes, et vous encodez vous-même vos relevés de compteur.\nChoisissez votre mot de passe ici (le lien fonctionne une seule fois et est valable jusqu'au {{ valid_until }}) :\n{{ link }}\n\nVotre numéro de client : {{ customer_number }}\n\nWattDesk"),
        "de": ("Ihr Zugang zu Mein WattDesk", "Guten Tag {{ first_name }},\n\nIn Mein WattDesk sehen Sie Ihre Verträge, Rechnungen und Abschläge und geben Ihre Zählerstände selbst ein.\nWählen Sie hier Ihr Passwort (der Link funktioniert einmal und gilt bis zum {{ valid_until }}):\n{{ link }}\n\nIhre Kundennummer: {{ customer_number }}\n\nWattDesk"),
        "en": ("Your access to My WattDesk", "Hello {{ first_name }},\n\nIn My WattDesk you see your contracts, invoices and advances, and enter your own meter readings.\nChoose your password here (the link works once and is valid until {{ valid_until }}):\n{{ link }}\n\nYour customer number: {{ customer_number }}\n\nWattDesk"),
    },
    "portal_verification_code": {
        "nl": ("Uw code voor Mijn WattDesk: {{ code }}", "Beste {{ first_name }},\n\nUw verificatiecode is {{ code }}. Ze is {{ minutes }} minuten geldig.\nHeeft u niets aangevraagd? Dan mag u deze mail negeren.\n\nWattDesk"),
        "fr": ("Votre code pour Mon WattDesk : {{ code }}", "Bonjour {{ first_name }},\n\nVotre code de vérification est {{ code }}. Il est valable {{ minutes }} minutes.\nVous n'avez rien demandé ? Ignorez simplement ce mail.\n\nWattDesk"),
        "de": ("Ihr Code für Mein WattDesk: {{ code }}", "Guten Tag {{ first_name }},\n\nIhr Bestätigungscode lautet {{ code }}. Er ist {{ minutes }} Minuten gültig.\nSie haben nichts angefordert? Dann ignorieren Sie diese Mail.\n\nWattDesk"),
        "en": ("Your code for My WattDesk: {{ code }}", "Hello {{ first_name }},\n\nYour verification code is {{ code }}. It is valid for {{ minutes }} minutes.\nDid not ask for it? Then ignore this mail.\n\nWattDesk"),
    },
    "portal_email_code": {
        "nl": ("Bevestig uw nieuwe e-mailadres: {{ code }}", "Beste {{ first_name }},\n\nU wilt dit adres gebruiken voor WattDesk. Geef in Mijn WattDesk de code {{ code }} in om het te bevestigen ({{ minutes }} minuten geldig).\nTot dan blijft uw vorige adres in gebruik.\n\nWattDesk"),
        "fr": ("Confirmez votre nouvelle adresse e-mail : {{ code }}", "Bonjour {{ first_name }},\n\nVous souhaitez utiliser cette adresse pour WattDesk. Encodez le code {{ code }} dans Mon WattDesk pour la confirmer (valable {{ minutes }} minutes).\nD'ici là, votre ancienne adresse reste utilisée.\n\nWattDesk"),
        "de": ("Bestätigen Sie Ihre neue E-Mail-Adresse: {{ code }}", "Guten Tag {{ first_name }},\n\nSie möchten diese Adresse für WattDesk verwenden. Geben Sie in Mein WattDesk den Code {{ code }} ein, um sie zu bestätigen ({{ minutes }} Minuten gültig).\nBis dahin bleibt Ihre bisherige Adresse in Gebrauch.\n\nWattDesk"),
        "en": ("Confirm your new e-mail address: {{ code }}", "Hello {{ first_name }},\n\nYou want to use this address for WattDesk. Enter the code {{ code }} in My WattDesk to confirm it (valid for {{ minutes }} minutes).\nUntil then your previous address stays in use.\n\nWattDesk"),
    },
    "outage_notice": {
        "nl": ("Geplande onderbreking op {{ day }}", "Beste {{ first_name }},\n\nDe netbeheerder onderbreekt de stroomvoorziening voor werken in {{ area }}.\nVan: {{ starts }}\nTot: {{ ends }}\n{% if reason %}Reden: {{ reason }}\n{% endif %}Leveringspunt: {{ eans }}\n\nU krijgt deze mail omdat u meldingen van onderbrekingen aanvroeg in Mijn WattDesk.\n\nWattDesk"),
        "fr": ("Coupure planifiée le {{ day }}", "Bonjour {{ first_name }},\n\nLe gestionnaire de réseau interrompt la fourniture pour des travaux à {{ area }}.\nDe : {{ starts }}\nÀ : {{ ends }}\n{% if reason %}Motif : {{ reason }}\n{% endif %}Point de fourniture : {{ eans }}\n\nVous recevez ce mail car vous avez demandé les avis de coupure dans Mon WattDesk.\n\nWattDesk"),
        "de": ("Geplante Unterbrechung am {{ day }}", "Guten Tag {{ first_name }},\n\nDer Netzbetreiber unterbricht die Versorgung für Arbeiten in {{ area }}.\nVon: {{ starts }}\nBis: {{ ends }}\n{% if reason %}Grund: {{ reason }}\n{% endif %}Lieferstelle: {{ eans }}\n\nSie erhalten diese Mail, weil Sie in Mein WattDesk Hinweise auf Unterbrechungen angefordert haben.\n\nWattDesk"),
        "en": ("Planned interruption on {{ day }}", "Hello {{ first_name }},\n\nThe grid operator interrupts supply for works in {{ area }}.\nFrom: {{ starts }}\nUntil: {{ ends }}\n{% if reason %}Reason: {{ reason }}\n{% endif %}Delivery point: {{ eans }}\n\nYou get this mail because you asked for outage notices in My WattDesk.\n\nWattDesk"),
    },
}
