"""Mail and PDF-note texts of corrections (issue 6): partial credit notes, cancel-and-reissue.

Rendered here with Jinja2 (plain text), in the customer's language; kept apart from
mail_texts.TEXTS so that corrections never collide with other topics' texts."""

from __future__ import annotations


CORRECTION_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    # A credit note that leaves part of the invoice to pay (by line or by amount).
    "credit_note_partial": {
        "nl": (
            "Creditnota {{ number }} bij factuur {{ corrects }}",
            "Beste {{ first_name }},\n\nIn bijlage vindt u creditnota {{ number }} van {{ amount }} op factuur {{ corrects }}.\nReden: {{ reason }}\n\n{% if open_amount %}Op factuur {{ corrects }} blijft {{ open_amount }} te betalen, met dezelfde gestructureerde mededeling {{ ogm }}.{% else %}Op factuur {{ corrects }} blijft niets meer te betalen. Had u al meer betaald, dan verrekenen we het verschil met uw volgende factuur of storten we het terug.{% endif %}\n\nWattDesk",
        ),
        "fr": (
            "Note de crédit {{ number }} sur la facture {{ corrects }}",
            "Bonjour {{ first_name }},\n\nVous trouverez en annexe la note de crédit {{ number }} de {{ amount }} sur la facture {{ corrects }}.\nMotif : {{ reason }}\n\n{% if open_amount %}Il reste {{ open_amount }} à payer sur la facture {{ corrects }}, avec la même communication structurée {{ ogm }}.{% else %}Il ne reste plus rien à payer sur la facture {{ corrects }}. Si vous avez déjà payé davantage, nous déduirons la différence de votre prochaine facture ou vous la rembourserons.{% endif %}\n\nWattDesk",
        ),
        "de": (
            "Gutschrift {{ number }} zur Rechnung {{ corrects }}",
            "Guten Tag {{ first_name }},\n\nanbei erhalten Sie die Gutschrift {{ number }} über {{ amount }} zur Rechnung {{ corrects }}.\nGrund: {{ reason }}\n\n{% if open_amount %}Auf der Rechnung {{ corrects }} bleiben {{ open_amount }} zu zahlen, mit derselben strukturierten Mitteilung {{ ogm }}.{% else %}Auf der Rechnung {{ corrects }} ist nichts mehr zu zahlen. Haben Sie bereits mehr bezahlt, verrechnen wir die Differenz mit Ihrer nächsten Rechnung oder erstatten sie.{% endif %}\n\nWattDesk",
        ),
        "en": (
            "Credit note {{ number }} on invoice {{ corrects }}",
            "Hello {{ first_name }},\n\nPlease find attached credit note {{ number }} for {{ amount }} on invoice {{ corrects }}.\nReason: {{ reason }}\n\n{% if open_amount %}{{ open_amount }} remains to be paid on invoice {{ corrects }}, with the same structured reference {{ ogm }}.{% else %}Nothing remains to be paid on invoice {{ corrects }}. If you already paid more, we set the difference off against your next invoice or pay it back.{% endif %}\n\nWattDesk",
        ),
    },
    # Cancel and reissue: one mail, both documents attached.
    "invoice_reissued": {
        "nl": (
            "Correctie van factuur {{ original }}: creditnota {{ credit_note }} en nieuwe factuur {{ replacement }}",
            "Beste {{ first_name }},\n\nWe hebben factuur {{ original }} gecorrigeerd.\nReden: {{ reason }}\n\nIn bijlage vindt u twee documenten:\n- creditnota {{ credit_note }} van {{ credit_amount }}: ze annuleert factuur {{ original }}; u hoeft die factuur niet meer te betalen en herinneringen erover vervallen;\n- de nieuwe factuur {{ replacement }} van {{ amount }}, die ze vervangt.\n\n{% if to_pay %}{% if direct_debit %}We innen het bedrag via domiciliëring rond {{ due_date }}.{% else %}Gelieve {{ amount }} te betalen vóór {{ due_date }} met de gestructureerde mededeling {{ ogm }}.{% endif %}{% else %}U hoeft niets te betalen: het bedrag in uw voordeel verrekenen we met uw volgende factuur of storten we terug.{% endif %}\nHad u factuur {{ original }} al betaald, dan verrekenen we die betaling.\n\nWattDesk",
        ),
        "fr": (
            "Correction de la facture {{ original }} : note de crédit {{ credit_note }} et nouvelle facture {{ replacement }}",
            "Bonjour {{ first_name }},\n\nNous avons corrigé la facture {{ original }}.\nMotif : {{ reason }}\n\nVous trouverez en annexe deux documents :\n- la note de crédit {{ credit_note }} de {{ credit_amount }} : elle annule la facture {{ original }} ; vous ne devez plus la payer et les rappels la concernant tombent ;\n- la nouvelle facture {{ replacement }} de {{ amount }}, qui la remplace.\n\n{% if to_pay %}{% if direct_debit %}Nous encaisserons le montant par domiciliation vers le {{ due_date }}.{% else %}Merci de payer {{ amount }} avant le {{ due_date }} avec la communication structurée {{ ogm }}.{% endif %}{% else %}Vous n'avez rien à payer : le montant en votre faveur sera déduit de votre prochaine facture ou remboursé.{% endif %}\nSi vous aviez déjà payé la facture {{ original }}, nous en tenons compte.\n\nWattDesk",
        ),
        "de": (
            "Berichtigung der Rechnung {{ original }}: Gutschrift {{ credit_note }} und neue Rechnung {{ replacement }}",
            "Guten Tag {{ first_name }},\n\nwir haben die Rechnung {{ original }} berichtigt.\nGrund: {{ reason }}\n\nAnbei erhalten Sie zwei Dokumente:\n- die Gutschrift {{ credit_note }} über {{ credit_amount }}: Sie storniert die Rechnung {{ original }}; Sie müssen diese nicht mehr bezahlen, Mahnungen dazu entfallen;\n- die neue Rechnung {{ replacement }} über {{ amount }}, die sie ersetzt.\n\n{% if to_pay %}{% if direct_debit %}Wir ziehen den Betrag um den {{ due_date }} per Lastschrift ein.{% else %}Bitte zahlen Sie {{ amount }} bis zum {{ due_date }} mit der strukturierten Mitteilung {{ ogm }}.{% endif %}{% else %}Sie müssen nichts zahlen: Den Betrag zu Ihren Gunsten verrechnen wir mit Ihrer nächsten Rechnung oder erstatten ihn.{% endif %}\nHaben Sie die Rechnung {{ original }} bereits bezahlt, wird die Zahlung verrechnet.\n\nWattDesk",
        ),
        "en": (
            "Correction of invoice {{ original }}: credit note {{ credit_note }} and new invoice {{ replacement }}",
            "Hello {{ first_name }},\n\nWe corrected invoice {{ original }}.\nReason: {{ reason }}\n\nAttached are two documents:\n- credit note {{ credit_note }} for {{ credit_amount }}: it cancels invoice {{ original }}; you no longer need to pay it and reminders about it stop;\n- the new invoice {{ replacement }} for {{ amount }}, which replaces it.\n\n{% if to_pay %}{% if direct_debit %}We will collect the amount by direct debit around {{ due_date }}.{% else %}Please pay {{ amount }} by {{ due_date }} with the structured reference {{ ogm }}.{% endif %}{% else %}You have nothing to pay: the amount in your favour is set off against your next invoice or paid back.{% endif %}\nIf you already paid invoice {{ original }}, that payment is taken into account.\n\nWattDesk",
        ),
    },
}

# Notes printed on the PDF (InvoiceDocument.notes takes ready-made text).
NOTES: dict[str, dict[str, str]] = {
    "replaces": {
        "nl": "Deze factuur vervangt factuur {original}, geannuleerd met creditnota {credit_note}.",
        "fr": "Cette facture remplace la facture {original}, annulée par la note de crédit {credit_note}.",
        "de": "Diese Rechnung ersetzt die Rechnung {original}, storniert mit der Gutschrift {credit_note}.",
        "en": "This invoice replaces invoice {original}, cancelled by credit note {credit_note}.",
    },
    "reason": {"nl": "Reden: {reason}", "fr": "Motif : {reason}", "de": "Grund: {reason}", "en": "Reason: {reason}"},
}


def note(key: str, language: str, **values: str) -> str:
    return NOTES[key][language].format(**values)
