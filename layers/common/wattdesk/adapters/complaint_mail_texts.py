"""Complaint mails per language (merged into ``mail_texts.TEXTS``; rendered the same way)."""

from __future__ import annotations

COMPLAINT_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "complaint_received": {
        "nl": (
            "We hebben uw klacht ontvangen ({{ number }})",
            "Beste {{ name }},\n\nWe hebben uw klacht goed ontvangen. Uw klachtnummer is {{ number }}; vermeld het als u ons contacteert.\n\nOnderwerp: {{ nature }}\nWe antwoorden u uiterlijk op {{ due_date }}.\n\nWattDesk klachtendienst",
        ),
        "fr": (
            "Nous avons reçu votre plainte ({{ number }})",
            "Bonjour {{ name }},\n\nNous avons bien reçu votre plainte. Son numéro est {{ number }} ; mentionnez-le quand vous nous contactez.\n\nObjet : {{ nature }}\nNous vous répondrons au plus tard le {{ due_date }}.\n\nService plaintes de WattDesk",
        ),
        "de": (
            "Wir haben Ihre Beschwerde erhalten ({{ number }})",
            "Guten Tag {{ name }},\n\nwir haben Ihre Beschwerde erhalten. Ihre Beschwerdenummer ist {{ number }}; bitte geben Sie sie an, wenn Sie uns kontaktieren.\n\nBetreff: {{ nature }}\nWir antworten Ihnen spätestens am {{ due_date }}.\n\nBeschwerdestelle von WattDesk",
        ),
        "en": (
            "We received your complaint ({{ number }})",
            "Hello {{ name }},\n\nWe received your complaint. Its number is {{ number }}; please mention it when you contact us.\n\nSubject: {{ nature }}\nWe will answer you by {{ due_date }} at the latest.\n\nWattDesk complaints desk",
        ),
    },
    "complaint_closed": {
        "nl": (
            "Uw klacht {{ number }} is afgehandeld",
            "Beste {{ name }},\n\nWe hebben uw klacht {{ number }} afgehandeld.\n\n{{ summary }}\n{% for line in outcome %}\n- {{ line }}{% endfor %}\n\nBent u niet tevreden met dit antwoord? U kunt terecht bij de Ombudsdienst voor Energie (www.ombudsmanenergie.be).\n\nWattDesk klachtendienst",
        ),
        "fr": (
            "Votre plainte {{ number }} est traitée",
            "Bonjour {{ name }},\n\nNous avons traité votre plainte {{ number }}.\n\n{{ summary }}\n{% for line in outcome %}\n- {{ line }}{% endfor %}\n\nVous n'êtes pas satisfait de cette réponse ? Vous pouvez vous adresser au Service de Médiation de l'Énergie (www.mediateurenergie.be).\n\nService plaintes de WattDesk",
        ),
        "de": (
            "Ihre Beschwerde {{ number }} ist bearbeitet",
            "Guten Tag {{ name }},\n\nwir haben Ihre Beschwerde {{ number }} bearbeitet.\n\n{{ summary }}\n{% for line in outcome %}\n- {{ line }}{% endfor %}\n\nSind Sie mit dieser Antwort nicht zufrieden? Sie können sich an den Ombudsdienst für Energie wenden (www.ombudsmanenergie.be).\n\nBeschwerdestelle von WattDesk",
        ),
        "en": (
            "Your complaint {{ number }} has been handled",
            "Hello {{ name }},\n\nWe have handled your complaint {{ number }}.\n\n{{ summary }}\n{% for line in outcome %}\n- {{ line }}{% endfor %}\n\nNot satisfied with this answer? You can contact the Energy Ombudsman (www.ombudsmanenergie.be).\n\nWattDesk complaints desk",
        ),
    },
}

NATURE_NAMES = {
    "billing": {"nl": "facturatie", "fr": "facturation", "de": "Rechnung", "en": "billing"},
    "meter_reading": {"nl": "meterstand", "fr": "relevé de compteur", "de": "Zählerstand", "en": "meter reading"},
    "contract": {"nl": "contract of aansluiting", "fr": "contrat ou inscription", "de": "Vertrag oder Anmeldung", "en": "contract or enrollment"},
    "payment": {"nl": "betaling of inning", "fr": "paiement ou recouvrement", "de": "Zahlung oder Inkasso", "en": "payment or collection"},
    "sales_conduct": {"nl": "verkoopsgedrag", "fr": "pratiques de vente", "de": "Verkaufspraktiken", "en": "sales conduct"},
    "service": {"nl": "dienstverlening", "fr": "service", "de": "Service", "en": "service"},
    "other": {"nl": "andere", "fr": "autre", "de": "Sonstiges", "en": "other"},
}

# One line per resolution the reporter is told about (a reprimand stays internal: a general line).
OUTCOME_LINES = {
    "compensation_credit": {
        "nl": "We hebben {amount} als compensatie op uw klantenrekening gecrediteerd.",
        "fr": "Nous avons crédité {amount} sur votre compte client à titre de compensation.",
        "de": "Wir haben Ihrem Kundenkonto {amount} als Entschädigung gutgeschrieben.",
        "en": "We credited {amount} to your customer account as compensation.",
    },
    "compensation_refund": {
        "nl": "We storten u {amount} als compensatie terug.",
        "fr": "Nous vous rembourserons {amount} à titre de compensation.",
        "de": "Wir erstatten Ihnen {amount} als Entschädigung.",
        "en": "We will refund {amount} to you as compensation.",
    },
    "cancellation": {
        "nl": "Uw contract wordt zonder verbrekingsvergoeding beëindigd op {end_on}; u ontvangt een eindafrekening.",
        "fr": "Votre contrat prend fin sans indemnité de rupture le {end_on} ; vous recevrez une facture de clôture.",
        "de": "Ihr Vertrag endet ohne Kündigungsgebühr am {end_on}; Sie erhalten eine Schlussrechnung.",
        "en": "Your contract ends without an exit fee on {end_on}; you will receive a final invoice.",
    },
    "reprimand": {
        "nl": "We hebben de zaak intern besproken met de betrokken medewerker.",
        "fr": "Nous avons traité la question en interne avec le collaborateur concerné.",
        "de": "Wir haben die Angelegenheit intern mit dem betreffenden Mitarbeiter besprochen.",
        "en": "We have addressed this internally with the staff member involved.",
    },
    "correction": {
        "nl": "We hebben de fout rechtgezet.",
        "fr": "Nous avons corrigé l'erreur.",
        "de": "Wir haben den Fehler korrigiert.",
        "en": "We have corrected the mistake.",
    },
    "explanation": {"nl": "", "fr": "", "de": "", "en": ""},
    "no_action": {"nl": "", "fr": "", "de": "", "en": ""},
}
