"""Mail texts of the annual settlement and the final invoice (#6), nl/fr/de/en, plain-text Jinja2.

Kept in their own module with their own renderer (mail_texts.render is shared): subject and body
per language, StrictUndefined, so a missing value fails loudly in the tests."""

from __future__ import annotations


_PAY = {
    "nl": "{% if outcome == 'to_pay' %}Te betalen: {{ amount }}. {% if direct_debit %}We innen dit bedrag via domiciliëring rond {{ due_date }}.{% else %}Gelieve te betalen vóór {{ due_date }} met de gestructureerde mededeling {{ ogm }}.{% endif %}{% elif outcome == 'refund' %}In uw voordeel: {{ amount }}. We storten dit bedrag terug op uw rekening.{% else %}Er is niets te betalen en niets terug te storten.{% endif %}",
    "fr": "{% if outcome == 'to_pay' %}À payer : {{ amount }}. {% if direct_debit %}Nous encaisserons ce montant par domiciliation vers le {{ due_date }}.{% else %}Merci de payer avant le {{ due_date }} avec la communication structurée {{ ogm }}.{% endif %}{% elif outcome == 'refund' %}En votre faveur : {{ amount }}. Nous vous remboursons ce montant sur votre compte.{% else %}Il n'y a rien à payer ni à rembourser.{% endif %}",
    "de": "{% if outcome == 'to_pay' %}Zu zahlen: {{ amount }}. {% if direct_debit %}Wir ziehen den Betrag um den {{ due_date }} per Lastschrift ein.{% else %}Bitte zahlen Sie bis zum {{ due_date }} mit der strukturierten Mitteilung {{ ogm }}.{% endif %}{% elif outcome == 'refund' %}Zu Ihren Gunsten: {{ amount }}. Wir erstatten Ihnen diesen Betrag auf Ihr Konto.{% else %}Es ist nichts zu zahlen und nichts zu erstatten.{% endif %}",
    "en": "{% if outcome == 'to_pay' %}To pay: {{ amount }}. {% if direct_debit %}We will collect this amount by direct debit around {{ due_date }}.{% else %}Please pay by {{ due_date }} with the structured reference {{ ogm }}.{% endif %}{% elif outcome == 'refund' %}In your favour: {{ amount }}. We pay this amount back to your account.{% else %}There is nothing to pay and nothing to refund.{% endif %}",
}
_ESTIMATED = {
    "nl": "{% if estimated %}\nDeze afrekening gebruikt een geschatte meterstand. Geef uw werkelijke meterstand door in uw klantenzone om ze te laten corrigeren.{% endif %}",
    "fr": "{% if estimated %}\nCe décompte utilise un relevé estimé. Communiquez votre relevé réel dans votre espace client pour le faire corriger.{% endif %}",
    "de": "{% if estimated %}\nDiese Abrechnung beruht auf einem geschätzten Zählerstand. Teilen Sie Ihren tatsächlichen Zählerstand im Kundenbereich mit, um sie zu korrigieren.{% endif %}",
    "en": "{% if estimated %}\nThis settlement uses an estimated meter reading. Send your actual reading in your customer area to have it corrected.{% endif %}",
}

SETTLEMENT_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "settlement_issued": {
        "nl": ("Uw jaarafrekening {{ number }}", "Beste {{ first_name }},\n\nIn bijlage vindt u uw jaarafrekening {{ number }} voor de periode van {{ period_start }} tot {{ period_end }}.\n" + _PAY["nl"] + _ESTIMATED["nl"] + "\n\nUw nieuw voorschot op basis van uw werkelijk verbruik: {{ new_advance }} ({{ frequency }}), vanaf uw volgende voorschotfactuur.\n\nWattDesk"),
        "fr": ("Votre décompte annuel {{ number }}", "Bonjour {{ first_name }},\n\nVous trouverez en annexe votre décompte annuel {{ number }} pour la période du {{ period_start }} au {{ period_end }}.\n" + _PAY["fr"] + _ESTIMATED["fr"] + "\n\nVotre nouvel acompte, calculé sur votre consommation réelle : {{ new_advance }} ({{ frequency }}), dès votre prochaine facture d'acompte.\n\nWattDesk"),
        "de": ("Ihre Jahresabrechnung {{ number }}", "Guten Tag {{ first_name }},\n\nanbei erhalten Sie Ihre Jahresabrechnung {{ number }} für den Zeitraum vom {{ period_start }} bis {{ period_end }}.\n" + _PAY["de"] + _ESTIMATED["de"] + "\n\nIhr neuer Abschlag nach Ihrem tatsächlichen Verbrauch: {{ new_advance }} ({{ frequency }}), ab Ihrer nächsten Abschlagsrechnung.\n\nWattDesk"),
        "en": ("Your annual settlement {{ number }}", "Hello {{ first_name }},\n\nPlease find attached your annual settlement {{ number }} for the period from {{ period_start }} to {{ period_end }}.\n" + _PAY["en"] + _ESTIMATED["en"] + "\n\nYour new advance, based on your actual consumption: {{ new_advance }} ({{ frequency }}), from your next advance invoice on.\n\nWattDesk"),
    },
    "final_invoice_issued": {
        "nl": ("Uw eindafrekening {{ number }}", "Beste {{ first_name }},\n\nUw contract eindigde op {{ ended_on }}. In bijlage vindt u uw eindafrekening {{ number }} voor de periode van {{ period_start }} tot {{ period_end }}, op basis van de meterstanden bij uw verhuis. Er volgen geen voorschotten meer.\n" + _PAY["nl"] + "\n\nWattDesk"),
        "fr": ("Votre facture de clôture {{ number }}", "Bonjour {{ first_name }},\n\nVotre contrat a pris fin le {{ ended_on }}. Vous trouverez en annexe votre facture de clôture {{ number }} pour la période du {{ period_start }} au {{ period_end }}, sur la base des relevés de votre déménagement. Aucun acompte ne suivra.\n" + _PAY["fr"] + "\n\nWattDesk"),
        "de": ("Ihre Schlussrechnung {{ number }}", "Guten Tag {{ first_name }},\n\nIhr Vertrag endete am {{ ended_on }}. Anbei erhalten Sie Ihre Schlussrechnung {{ number }} für den Zeitraum vom {{ period_start }} bis {{ period_end }}, nach den Zählerständen Ihres Umzugs. Es folgen keine Abschläge mehr.\n" + _PAY["de"] + "\n\nWattDesk"),
        "en": ("Your final invoice {{ number }}", "Hello {{ first_name }},\n\nYour contract ended on {{ ended_on }}. Please find attached your final invoice {{ number }} for the period from {{ period_start }} to {{ period_end }}, based on the meter readings of your move. No more advances follow.\n" + _PAY["en"] + "\n\nWattDesk"),
    },
    # A disputed settlement whose earlier outcome had already moved money (issue 6): appended to the
    # cancel-and-reissue mail of services.corrections (only the body is used).
    "dispute_difference": {
        "nl": ("", "{% if carried > 0 %}Het bedrag van {{ old_amount }} in uw voordeel op afrekening {{ original }} werd u al terugbetaald of verrekend. {% else %}Uw betaling van {{ old_amount }} voor afrekening {{ original }} is verrekend. {% endif %}De nieuwe afrekening {{ replacement }} telt daarom enkel het verschil: {% if net > 0 %}te betalen {{ net_amount }}, met de gestructureerde mededeling {{ ogm }}{% if due_date %} vóór {{ due_date }}{% endif %}.{% elif net < 0 %}we storten u {{ net_amount }} terug.{% else %}er is niets meer te betalen of terug te storten.{% endif %}"),
        "fr": ("", "{% if carried > 0 %}Le montant de {{ old_amount }} en votre faveur sur le décompte {{ original }} vous a déjà été remboursé ou imputé. {% else %}Votre paiement de {{ old_amount }} pour le décompte {{ original }} est imputé. {% endif %}Le nouveau décompte {{ replacement }} ne compte donc que la différence : {% if net > 0 %}à payer {{ net_amount }}, avec la communication structurée {{ ogm }}{% if due_date %} avant le {{ due_date }}{% endif %}.{% elif net < 0 %}nous vous remboursons {{ net_amount }}.{% else %}il n'y a plus rien à payer ni à rembourser.{% endif %}"),
        "de": ("", "{% if carried > 0 %}Der Betrag von {{ old_amount }} zu Ihren Gunsten aus der Abrechnung {{ original }} wurde Ihnen bereits erstattet oder verrechnet. {% else %}Ihre Zahlung von {{ old_amount }} für die Abrechnung {{ original }} wird verrechnet. {% endif %}Die neue Abrechnung {{ replacement }} zählt deshalb nur die Differenz: {% if net > 0 %}zu zahlen {{ net_amount }}, mit der strukturierten Mitteilung {{ ogm }}{% if due_date %} bis zum {{ due_date }}{% endif %}.{% elif net < 0 %}wir erstatten Ihnen {{ net_amount }}.{% else %}es ist nichts mehr zu zahlen oder zu erstatten.{% endif %}"),
        "en": ("", "{% if carried > 0 %}The {{ old_amount }} in your favour on settlement {{ original }} was already paid back to you or set off. {% else %}Your payment of {{ old_amount }} for settlement {{ original }} is taken into account. {% endif %}The new settlement {{ replacement }} therefore counts only the difference: {% if net > 0 %}to pay {{ net_amount }}, with the structured reference {{ ogm }}{% if due_date %} by {{ due_date }}{% endif %}.{% elif net < 0 %}we pay you {{ net_amount }} back.{% else %}there is nothing more to pay or to refund.{% endif %}"),
    },
}
