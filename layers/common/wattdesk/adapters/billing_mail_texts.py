"""Mail texts of billing corrections (issue 5), joined to mail_texts.TEXTS."""

from __future__ import annotations

BILLING_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "credit_note_issued": {
        "nl": ("Creditnota {{ number }} bij factuur {{ corrects }}", "Beste {{ first_name }},\n\nIn bijlage vindt u creditnota {{ number }} van {{ amount }}. Ze annuleert factuur {{ corrects }}; u hoeft die factuur niet meer te betalen. Had u ze al betaald, dan verrekenen we het bedrag met uw volgende factuur of storten we het terug.\n\nWattDesk"),
        "fr": ("Note de crédit {{ number }} sur la facture {{ corrects }}", "Bonjour {{ first_name }},\n\nVous trouverez en annexe la note de crédit {{ number }} de {{ amount }}. Elle annule la facture {{ corrects }} ; vous ne devez plus la payer. Si vous l'avez déjà payée, nous déduirons le montant de votre prochaine facture ou vous le rembourserons.\n\nWattDesk"),
        "de": ("Gutschrift {{ number }} zur Rechnung {{ corrects }}", "Guten Tag {{ first_name }},\n\nanbei erhalten Sie die Gutschrift {{ number }} über {{ amount }}. Sie storniert die Rechnung {{ corrects }}; Sie müssen diese nicht mehr bezahlen. Haben Sie sie bereits bezahlt, verrechnen wir den Betrag mit Ihrer nächsten Rechnung oder erstatten ihn.\n\nWattDesk"),
        "en": ("Credit note {{ number }} on invoice {{ corrects }}", "Hello {{ first_name }},\n\nPlease find attached credit note {{ number }} for {{ amount }}. It cancels invoice {{ corrects }}; you no longer need to pay it. If you already paid it, we set the amount off against your next invoice or pay it back.\n\nWattDesk"),
    },
}
