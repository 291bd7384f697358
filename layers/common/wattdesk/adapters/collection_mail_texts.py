"""Mail texts of payments and direct debit (issue 7), joined to mail_texts.TEXTS.

Plain-text Jinja2, subject and body per language (nl/fr/de/en), rendered with StrictUndefined.
"""

from __future__ import annotations

COLLECTION_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    # Pre-notification of a SEPA direct debit: amount, date, mandate and creditor identifier.
    "dd_prenotification": {
        "nl": (
            "Aankondiging domiciliëring: {{ amount }} op {{ collection_date }}",
            "Beste {{ first_name }},\n\nOp {{ collection_date }} innen we {{ amount }} via SEPA-domiciliëring voor factuur {{ number }}.\nRekening: {{ iban }}\nMandaatreferentie: {{ mandate_reference }}\nIdentificatie schuldeiser: {{ creditor_id }}\n\nZorg dat uw rekening op die dag voldoende saldo heeft. U hoeft zelf niets te betalen.\n\nWattDesk",
        ),
        "fr": (
            "Annonce de domiciliation : {{ amount }} le {{ collection_date }}",
            "Bonjour {{ first_name }},\n\nLe {{ collection_date }}, nous encaisserons {{ amount }} par domiciliation SEPA pour la facture {{ number }}.\nCompte : {{ iban }}\nRéférence du mandat : {{ mandate_reference }}\nIdentifiant du créancier : {{ creditor_id }}\n\nVeillez à ce que votre compte soit suffisamment approvisionné ce jour-là. Vous ne devez rien payer vous-même.\n\nWattDesk",
        ),
        "de": (
            "Ankündigung der Lastschrift: {{ amount }} am {{ collection_date }}",
            "Guten Tag {{ first_name }},\n\nam {{ collection_date }} ziehen wir {{ amount }} per SEPA-Lastschrift für die Rechnung {{ number }} ein.\nKonto: {{ iban }}\nMandatsreferenz: {{ mandate_reference }}\nGläubiger-Identifikationsnummer: {{ creditor_id }}\n\nBitte sorgen Sie an diesem Tag für ausreichende Deckung. Sie müssen nichts selbst überweisen.\n\nWattDesk",
        ),
        "en": (
            "Direct debit notice: {{ amount }} on {{ collection_date }}",
            "Hello {{ first_name }},\n\nOn {{ collection_date }} we will collect {{ amount }} by SEPA direct debit for invoice {{ number }}.\nAccount: {{ iban }}\nMandate reference: {{ mandate_reference }}\nCreditor identifier: {{ creditor_id }}\n\nPlease make sure your account is funded on that day. You do not need to pay anything yourself.\n\nWattDesk",
        ),
    },
    # An R-transaction: the collection failed (rejected, returned or refunded).
    "dd_failed": {
        "nl": (
            "Uw domiciliëring voor factuur {{ number }} is niet gelukt",
            "Beste {{ first_name }},\n\nDe domiciliëring van {{ amount }} voor factuur {{ number }} is niet gelukt: {{ reason }}. De factuur staat weer open.\n{% if represent %}We bieden het bedrag nog één keer aan; u krijgt vooraf een bericht met de datum. U kunt ook meteen overschrijven naar {{ creditor_iban }} met de gestructureerde mededeling {{ ogm }}.{% else %}Gelieve {{ amount }} te betalen vóór {{ pay_by }} door een overschrijving naar {{ creditor_iban }} met de gestructureerde mededeling {{ ogm }}.{% endif %}\n\nLukt betalen niet? Neem contact met ons op: we zoeken samen naar een afbetalingsplan.\n\nWattDesk",
        ),
        "fr": (
            "Votre domiciliation pour la facture {{ number }} n'a pas abouti",
            "Bonjour {{ first_name }},\n\nLa domiciliation de {{ amount }} pour la facture {{ number }} n'a pas abouti : {{ reason }}. La facture est à nouveau ouverte.\n{% if represent %}Nous présenterons le montant une seconde fois ; vous recevrez d'abord un avis avec la date. Vous pouvez aussi virer dès maintenant sur {{ creditor_iban }} avec la communication structurée {{ ogm }}.{% else %}Merci de payer {{ amount }} avant le {{ pay_by }} par virement sur {{ creditor_iban }} avec la communication structurée {{ ogm }}.{% endif %}\n\nVous avez des difficultés de paiement ? Contactez-nous : nous chercherons ensemble un plan de paiement.\n\nWattDesk",
        ),
        "de": (
            "Ihre Lastschrift für die Rechnung {{ number }} ist nicht gelungen",
            "Guten Tag {{ first_name }},\n\ndie Lastschrift über {{ amount }} für die Rechnung {{ number }} ist nicht gelungen: {{ reason }}. Die Rechnung ist wieder offen.\n{% if represent %}Wir legen den Betrag noch einmal vor; Sie erhalten vorher eine Ankündigung mit dem Datum. Sie können auch sofort auf {{ creditor_iban }} mit der strukturierten Mitteilung {{ ogm }} überweisen.{% else %}Bitte überweisen Sie {{ amount }} bis zum {{ pay_by }} auf {{ creditor_iban }} mit der strukturierten Mitteilung {{ ogm }}.{% endif %}\n\nSchwierigkeiten beim Bezahlen? Sprechen Sie uns an: Wir finden gemeinsam einen Zahlungsplan.\n\nWattDesk",
        ),
        "en": (
            "Your direct debit for invoice {{ number }} did not go through",
            "Hello {{ first_name }},\n\nThe direct debit of {{ amount }} for invoice {{ number }} did not go through: {{ reason }}. The invoice is open again.\n{% if represent %}We will present the amount once more; you will get a notice with the date first. You may also pay now by transfer to {{ creditor_iban }} with the structured reference {{ ogm }}.{% else %}Please pay {{ amount }} by {{ pay_by }} by transfer to {{ creditor_iban }} with the structured reference {{ ogm }}.{% endif %}\n\nTrouble paying? Contact us: we will look for a payment plan together.\n\nWattDesk",
        ),
    },
    # After two consecutive failed collections: payment by transfer from now on.
    "dd_switched_to_transfer": {
        "nl": (
            "U betaalt voortaan met overschrijving",
            "Beste {{ first_name }},\n\nTwee domiciliëringen na elkaar zijn niet gelukt. Daarom innen we voortaan niet meer via domiciliëring (mandaat {{ mandate_reference }}): u betaalt uw facturen met een overschrijving met de gestructureerde mededeling die op elke factuur staat.\n\nWilt u opnieuw domiciliëring? Stel het in via uw klantenzone.\n\nWattDesk",
        ),
        "fr": (
            "Vous payez désormais par virement",
            "Bonjour {{ first_name }},\n\nDeux domiciliations successives n'ont pas abouti. Nous n'encaissons donc plus par domiciliation (mandat {{ mandate_reference }}) : vous payez vos factures par virement avec la communication structurée indiquée sur chaque facture.\n\nVous souhaitez à nouveau la domiciliation ? Activez-la dans votre espace client.\n\nWattDesk",
        ),
        "de": (
            "Sie zahlen künftig per Überweisung",
            "Guten Tag {{ first_name }},\n\nzwei Lastschriften nacheinander sind nicht gelungen. Deshalb ziehen wir nicht mehr per Lastschrift ein (Mandat {{ mandate_reference }}): Sie zahlen Ihre Rechnungen per Überweisung mit der strukturierten Mitteilung auf jeder Rechnung.\n\nMöchten Sie wieder per Lastschrift zahlen? Richten Sie es in Ihrem Kundenbereich ein.\n\nWattDesk",
        ),
        "en": (
            "You now pay by bank transfer",
            "Hello {{ first_name }},\n\nTwo direct debits in a row did not go through, so we no longer collect by direct debit (mandate {{ mandate_reference }}): please pay your invoices by transfer with the structured reference shown on each invoice.\n\nWould you like direct debit again? Set it up in your customer portal.\n\nWattDesk",
        ),
    },
    # The customer (or ops) changed the payment method: mandate created, amended or revoked.
    "payment_method_changed": {
        "nl": (
            "Uw betaalwijze is gewijzigd",
            "Beste {{ first_name }},\n\n{% if method == 'direct_debit' %}We innen uw facturen voortaan via SEPA-domiciliëring van rekening {{ iban }} (houder: {{ account_holder }}).\nMandaatreferentie: {{ mandate_reference }}, ondertekend op {{ signed_on }}\nIdentificatie schuldeiser: {{ creditor_id }}\nVóór elke inning krijgt u een bericht met bedrag en datum.{% else %}U betaalt uw facturen voortaan met een overschrijving met de gestructureerde mededeling op elke factuur.{% if mandate_reference %} Mandaat {{ mandate_reference }} is ingetrokken.{% endif %}{% endif %}\n\nWattDesk",
        ),
        "fr": (
            "Votre mode de paiement a changé",
            "Bonjour {{ first_name }},\n\n{% if method == 'direct_debit' %}Nous encaisserons désormais vos factures par domiciliation SEPA sur le compte {{ iban }} (titulaire : {{ account_holder }}).\nRéférence du mandat : {{ mandate_reference }}, signé le {{ signed_on }}\nIdentifiant du créancier : {{ creditor_id }}\nAvant chaque encaissement, vous recevrez un avis avec le montant et la date.{% else %}Vous payez désormais vos factures par virement avec la communication structurée indiquée sur chaque facture.{% if mandate_reference %} Le mandat {{ mandate_reference }} est révoqué.{% endif %}{% endif %}\n\nWattDesk",
        ),
        "de": (
            "Ihre Zahlungsart wurde geändert",
            "Guten Tag {{ first_name }},\n\n{% if method == 'direct_debit' %}Wir ziehen Ihre Rechnungen künftig per SEPA-Lastschrift vom Konto {{ iban }} (Inhaber: {{ account_holder }}) ein.\nMandatsreferenz: {{ mandate_reference }}, unterzeichnet am {{ signed_on }}\nGläubiger-Identifikationsnummer: {{ creditor_id }}\nVor jedem Einzug erhalten Sie eine Ankündigung mit Betrag und Datum.{% else %}Sie zahlen Ihre Rechnungen künftig per Überweisung mit der strukturierten Mitteilung auf jeder Rechnung.{% if mandate_reference %} Das Mandat {{ mandate_reference }} ist widerrufen.{% endif %}{% endif %}\n\nWattDesk",
        ),
        "en": (
            "Your payment method has changed",
            "Hello {{ first_name }},\n\n{% if method == 'direct_debit' %}From now on we collect your invoices by SEPA direct debit from account {{ iban }} (holder: {{ account_holder }}).\nMandate reference: {{ mandate_reference }}, signed on {{ signed_on }}\nCreditor identifier: {{ creditor_id }}\nBefore every collection you will get a notice with the amount and date.{% else %}From now on you pay your invoices by transfer with the structured reference shown on each invoice.{% if mandate_reference %} Mandate {{ mandate_reference }} is revoked.{% endif %}{% endif %}\n\nWattDesk",
        ),
    },
}
