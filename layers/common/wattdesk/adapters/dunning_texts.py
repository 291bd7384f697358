"""Mail texts of reminders, formal notices and payment plans, in nl/fr/de/en.

They join the shared registry of ``mail_texts`` (the same Jinja2 mechanism and ``render``) when this
module is imported; the existing texts are not touched. Every kind's name starts with ``dunning_``
or ``plan_``.
"""

from __future__ import annotations

from wattdesk.adapters import mail_texts

_OPTIONS = {
    "nl": "Kunt u niet in één keer betalen? Vraag een betalingsplan aan via {{ plans_link }} of bel uw persoonlijke adviseur op {{ advisor_phone }} ({{ advisor_email }}). U kunt ook terecht bij het OCMW van uw gemeente ({{ municipality }}) voor sociale begeleiding.",
    "fr": "Vous ne pouvez pas payer en une fois ? Demandez un plan de paiement via {{ plans_link }} ou appelez votre conseiller personnel au {{ advisor_phone }} ({{ advisor_email }}). Le CPAS de votre commune ({{ municipality }}) peut aussi vous accompagner.",
    "de": "Sie können nicht auf einmal zahlen? Beantragen Sie einen Zahlungsplan unter {{ plans_link }} oder rufen Sie Ihren persönlichen Berater an: {{ advisor_phone }} ({{ advisor_email }}). Auch das ÖSHZ Ihrer Gemeinde ({{ municipality }}) kann Sie begleiten.",
    "en": "Cannot pay all at once? Ask for a payment plan at {{ plans_link }} or call your personal advisor on {{ advisor_phone }} ({{ advisor_email }}). The public social welfare centre (OCMW/CPAS) of your municipality ({{ municipality }}) can also support you.",
}

_FEE = {
    "nl": "{% if fee %}\nKosten van deze brief: {{ fee }}.{% endif %}",
    "fr": "{% if fee %}\nFrais de ce courrier : {{ fee }}.{% endif %}",
    "de": "{% if fee %}\nKosten dieses Schreibens: {{ fee }}.{% endif %}",
    "en": "{% if fee %}\nCost of this letter: {{ fee }}.{% endif %}",
}

TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "dunning_reminder": {
        "nl": ("Herinnering: factuur {{ number }} is nog niet betaald", "Beste {{ first_name }},\n\nWe hebben de betaling van factuur {{ number }} (vervaldag {{ due_date }}) nog niet ontvangen. Nog te betalen: {{ total }}." + _FEE["nl"] + "\nGelieve te betalen vóór {{ deadline }} met de gestructureerde mededeling {{ ogm }}. Hebt u intussen betaald? Dan mag u deze herinnering als onbestaande beschouwen.\n\n" + _OPTIONS["nl"] + "\n\nDe brief zit in bijlage.\n\nWattDesk"),
        "fr": ("Rappel : la facture {{ number }} n'est pas encore payée", "Bonjour {{ first_name }},\n\nNous n'avons pas encore reçu le paiement de la facture {{ number }} (échéance {{ due_date }}). Reste à payer : {{ total }}." + _FEE["fr"] + "\nMerci de payer avant le {{ deadline }} avec la communication structurée {{ ogm }}. Vous avez payé entre-temps ? Ne tenez pas compte de ce rappel.\n\n" + _OPTIONS["fr"] + "\n\nLe courrier est en annexe.\n\nWattDesk"),
        "de": ("Erinnerung: Rechnung {{ number }} ist noch nicht bezahlt", "Guten Tag {{ first_name }},\n\nwir haben die Zahlung der Rechnung {{ number }} (fällig am {{ due_date }}) noch nicht erhalten. Noch zu zahlen: {{ total }}." + _FEE["de"] + "\nBitte zahlen Sie bis zum {{ deadline }} mit der strukturierten Mitteilung {{ ogm }}. Haben Sie inzwischen bezahlt? Dann betrachten Sie diese Erinnerung als gegenstandslos.\n\n" + _OPTIONS["de"] + "\n\nDas Schreiben ist beigefügt.\n\nWattDesk"),
        "en": ("Reminder: invoice {{ number }} is still unpaid", "Hello {{ first_name }},\n\nWe have not yet received payment of invoice {{ number }} (due {{ due_date }}). Still to pay: {{ total }}." + _FEE["en"] + "\nPlease pay by {{ deadline }} quoting the structured reference {{ ogm }}. If you have paid in the meantime, please disregard this reminder.\n\n" + _OPTIONS["en"] + "\n\nThe letter is attached.\n\nWattDesk"),
    },
    "dunning_formal_notice": {
        "nl": ("Ingebrekestelling: factuur {{ number }}", "Beste {{ first_name }},\n\nOndanks onze herinnering van {{ reminder_date }} blijft factuur {{ number }} onbetaald. Met deze ingebrekestelling, die u ook aangetekend ontvangt, vragen we u {{ total }} te betalen vóór {{ deadline }} met de gestructureerde mededeling {{ ogm }}." + _FEE["nl"] + "\n\n" + _OPTIONS["nl"] + "\n\nDe brief zit in bijlage.\n\nWattDesk"),
        "fr": ("Mise en demeure : facture {{ number }}", "Bonjour {{ first_name }},\n\nMalgré notre rappel du {{ reminder_date }}, la facture {{ number }} reste impayée. Par cette mise en demeure, que vous recevez aussi par recommandé, nous vous demandons de payer {{ total }} avant le {{ deadline }} avec la communication structurée {{ ogm }}." + _FEE["fr"] + "\n\n" + _OPTIONS["fr"] + "\n\nLe courrier est en annexe.\n\nWattDesk"),
        "de": ("Inverzugsetzung: Rechnung {{ number }}", "Guten Tag {{ first_name }},\n\ntrotz unserer Erinnerung vom {{ reminder_date }} ist die Rechnung {{ number }} weiterhin unbezahlt. Mit dieser Inverzugsetzung, die Sie auch per Einschreiben erhalten, bitten wir Sie, {{ total }} bis zum {{ deadline }} mit der strukturierten Mitteilung {{ ogm }} zu zahlen." + _FEE["de"] + "\n\n" + _OPTIONS["de"] + "\n\nDas Schreiben ist beigefügt.\n\nWattDesk"),
        "en": ("Formal notice: invoice {{ number }}", "Hello {{ first_name }},\n\nDespite our reminder of {{ reminder_date }}, invoice {{ number }} remains unpaid. With this formal notice, which you also receive by registered mail, we ask you to pay {{ total }} by {{ deadline }} quoting the structured reference {{ ogm }}." + _FEE["en"] + "\n\n" + _OPTIONS["en"] + "\n\nThe letter is attached.\n\nWattDesk"),
    },
    "dunning_plan_offer": {
        "nl": ("Een betalingsplan voor factuur {{ number }}", "Beste {{ first_name }},\n\nFactuur {{ number }} blijft onbetaald ({{ total }}). We bieden u een redelijk betalingsplan aan: vraag het aan via {{ plans_link }} of bel uw persoonlijke adviseur op {{ advisor_phone }}. Het OCMW van uw gemeente ({{ municipality }}) kan u ook helpen.\n\nWattDesk"),
        "fr": ("Un plan de paiement pour la facture {{ number }}", "Bonjour {{ first_name }},\n\nLa facture {{ number }} reste impayée ({{ total }}). Nous vous proposons un plan de paiement raisonnable : demandez-le via {{ plans_link }} ou appelez votre conseiller personnel au {{ advisor_phone }}. Le CPAS de votre commune ({{ municipality }}) peut aussi vous aider.\n\nWattDesk"),
        "de": ("Ein Zahlungsplan für Rechnung {{ number }}", "Guten Tag {{ first_name }},\n\ndie Rechnung {{ number }} ist weiterhin unbezahlt ({{ total }}). Wir bieten Ihnen einen angemessenen Zahlungsplan an: beantragen Sie ihn unter {{ plans_link }} oder rufen Sie Ihren persönlichen Berater an: {{ advisor_phone }}. Auch das ÖSHZ Ihrer Gemeinde ({{ municipality }}) kann helfen.\n\nWattDesk"),
        "en": ("A payment plan for invoice {{ number }}", "Hello {{ first_name }},\n\nInvoice {{ number }} remains unpaid ({{ total }}). We offer you a reasonable payment plan: ask for it at {{ plans_link }} or call your personal advisor on {{ advisor_phone }}. The OCMW/CPAS of your municipality ({{ municipality }}) can also help.\n\nWattDesk"),
    },
    "plan_requested": {
        "nl": ("We hebben uw vraag naar een betalingsplan ontvangen", "Beste {{ first_name }},\n\nUw persoonlijke adviseur neemt uiterlijk op {{ contact_deadline }} contact met u op{% if advisor_contact %} (zoals gevraagd){% endif %} en stelt u een betalingsplan voor. Zolang uw vraag loopt, sturen we voor de gekozen facturen geen nieuwe herinneringen.\n\nWattDesk"),
        "fr": ("Nous avons reçu votre demande de plan de paiement", "Bonjour {{ first_name }},\n\nVotre conseiller personnel vous contactera au plus tard le {{ contact_deadline }}{% if advisor_contact %} (comme demandé){% endif %} et vous proposera un plan de paiement. Tant que votre demande est en cours, nous n'envoyons pas de nouveau rappel pour les factures choisies.\n\nWattDesk"),
        "de": ("Wir haben Ihre Anfrage nach einem Zahlungsplan erhalten", "Guten Tag {{ first_name }},\n\nIhr persönlicher Berater meldet sich spätestens am {{ contact_deadline }} bei Ihnen{% if advisor_contact %} (wie gewünscht){% endif %} und schlägt Ihnen einen Zahlungsplan vor. Solange Ihre Anfrage läuft, senden wir für die gewählten Rechnungen keine neuen Erinnerungen.\n\nWattDesk"),
        "en": ("We received your request for a payment plan", "Hello {{ first_name }},\n\nYour personal advisor will contact you by {{ contact_deadline }}{% if advisor_contact %} (as you asked){% endif %} and propose a payment plan. While your request is open we send no new reminders for the invoices you chose.\n\nWattDesk"),
    },
    "plan_proposed": {
        "nl": ("Uw voorstel van betalingsplan", "Beste {{ first_name }},\n\nUw adviseur stelt een plan voor van {{ count }} maandelijkse afbetalingen voor {{ debt }} (facturen {{ invoices }}), de eerste 15 dagen na uw akkoord. Aanvaard het in uw klantenzone: {{ plan_link }}\n\nWattDesk"),
        "fr": ("Votre proposition de plan de paiement", "Bonjour {{ first_name }},\n\nVotre conseiller vous propose un plan de {{ count }} mensualités pour {{ debt }} (factures {{ invoices }}), la première 15 jours après votre accord. Acceptez-le dans votre espace client : {{ plan_link }}\n\nWattDesk"),
        "de": ("Ihr Vorschlag für einen Zahlungsplan", "Guten Tag {{ first_name }},\n\nIhr Berater schlägt einen Plan mit {{ count }} Monatsraten über {{ debt }} vor (Rechnungen {{ invoices }}), die erste 15 Tage nach Ihrer Zustimmung. Nehmen Sie ihn in Ihrem Kundenbereich an: {{ plan_link }}\n\nWattDesk"),
        "en": ("Your proposed payment plan", "Hello {{ first_name }},\n\nYour advisor proposes a plan of {{ count }} monthly instalments for {{ debt }} (invoices {{ invoices }}), the first one 15 days after you accept. Accept it in your customer area: {{ plan_link }}\n\nWattDesk"),
    },
    "plan_accepted": {
        "nl": ("Uw betalingsplan is van kracht", "Beste {{ first_name }},\n\nBedankt. In bijlage vindt u het afbetalingsprotocol. Betaal elke afbetaling met haar eigen gestructureerde mededeling:\n{{ schedule }}\n\nZolang u het plan volgt, sturen we voor deze facturen geen herinneringen.\n\nWattDesk"),
        "fr": ("Votre plan de paiement est en vigueur", "Bonjour {{ first_name }},\n\nMerci. Vous trouverez en annexe le protocole d'accord. Payez chaque mensualité avec sa propre communication structurée :\n{{ schedule }}\n\nTant que vous respectez le plan, nous n'envoyons aucun rappel pour ces factures.\n\nWattDesk"),
        "de": ("Ihr Zahlungsplan gilt", "Guten Tag {{ first_name }},\n\nvielen Dank. Anbei finden Sie das Vereinbarungsprotokoll. Zahlen Sie jede Rate mit ihrer eigenen strukturierten Mitteilung:\n{{ schedule }}\n\nSolange Sie den Plan einhalten, senden wir für diese Rechnungen keine Erinnerungen.\n\nWattDesk"),
        "en": ("Your payment plan is in force", "Hello {{ first_name }},\n\nThank you. The agreement protocol is attached. Pay each instalment with its own structured reference:\n{{ schedule }}\n\nAs long as you keep to the plan, we send no reminders for these invoices.\n\nWattDesk"),
    },
    "plan_instalment_reminder": {
        "nl": ("Herinnering: afbetaling {{ instalment }} van uw betalingsplan", "Beste {{ first_name }},\n\nAfbetaling {{ instalment }} ({{ amount }}, vervaldag {{ due_date }}) is nog niet betaald. Betaal {{ late }} vóór {{ deadline }} met de mededeling {{ ogm }}. Anders vervalt het plan en wordt het resterende bedrag opnieuw opeisbaar. Lukt het niet? Bel uw adviseur op {{ advisor_phone }}.\n\nWattDesk"),
        "fr": ("Rappel : mensualité {{ instalment }} de votre plan de paiement", "Bonjour {{ first_name }},\n\nLa mensualité {{ instalment }} ({{ amount }}, échéance {{ due_date }}) n'est pas encore payée. Payez {{ late }} avant le {{ deadline }} avec la communication {{ ogm }}. Sinon le plan prend fin et le solde redevient exigible. Un souci ? Appelez votre conseiller au {{ advisor_phone }}.\n\nWattDesk"),
        "de": ("Erinnerung: Rate {{ instalment }} Ihres Zahlungsplans", "Guten Tag {{ first_name }},\n\nRate {{ instalment }} ({{ amount }}, fällig am {{ due_date }}) ist noch nicht bezahlt. Zahlen Sie {{ late }} bis zum {{ deadline }} mit der Mitteilung {{ ogm }}. Sonst endet der Plan und der Restbetrag wird wieder fällig. Probleme? Rufen Sie Ihren Berater an: {{ advisor_phone }}.\n\nWattDesk"),
        "en": ("Reminder: instalment {{ instalment }} of your payment plan", "Hello {{ first_name }},\n\nInstalment {{ instalment }} ({{ amount }}, due {{ due_date }}) is not yet paid. Please pay {{ late }} by {{ deadline }} quoting {{ ogm }}. Otherwise the plan ends and the remaining amount is due again. Any difficulty? Call your advisor on {{ advisor_phone }}.\n\nWattDesk"),
    },
    "plan_broken": {
        "nl": ("Uw betalingsplan is beëindigd", "Beste {{ first_name }},\n\nOndanks onze herinnering bleef afbetaling {{ instalment }} onbetaald. Het betalingsplan is daarom beëindigd. Het resterende bedrag van {{ remaining }} is opnieuw opeisbaar en de gewone opvolging van de facturen {{ invoices }} wordt hervat. Neem contact op met uw adviseur ({{ advisor_phone }}) als u een oplossing zoekt.\n\nWattDesk"),
        "fr": ("Votre plan de paiement a pris fin", "Bonjour {{ first_name }},\n\nMalgré notre rappel, la mensualité {{ instalment }} est restée impayée. Le plan de paiement a donc pris fin. Le solde de {{ remaining }} redevient exigible et le suivi normal des factures {{ invoices }} reprend. Contactez votre conseiller ({{ advisor_phone }}) pour chercher une solution.\n\nWattDesk"),
        "de": ("Ihr Zahlungsplan wurde beendet", "Guten Tag {{ first_name }},\n\ntrotz unserer Erinnerung blieb Rate {{ instalment }} unbezahlt. Der Zahlungsplan ist daher beendet. Der Restbetrag von {{ remaining }} ist wieder fällig und die normale Verfolgung der Rechnungen {{ invoices }} wird fortgesetzt. Wenden Sie sich an Ihren Berater ({{ advisor_phone }}), um eine Lösung zu finden.\n\nWattDesk"),
        "en": ("Your payment plan has ended", "Hello {{ first_name }},\n\nDespite our reminder, instalment {{ instalment }} remained unpaid, so the payment plan has ended. The remaining {{ remaining }} is due again and the usual follow-up of invoices {{ invoices }} resumes. Please contact your advisor ({{ advisor_phone }}) to find a solution.\n\nWattDesk"),
    },
    "plan_completed": {
        "nl": ("Uw betalingsplan is volledig betaald", "Beste {{ first_name }},\n\nAlle afbetalingen zijn ontvangen ({{ debt }}). Het plan is afgesloten. Bedankt!\n\nWattDesk"),
        "fr": ("Votre plan de paiement est entièrement payé", "Bonjour {{ first_name }},\n\nToutes les mensualités sont reçues ({{ debt }}). Le plan est clôturé. Merci !\n\nWattDesk"),
        "de": ("Ihr Zahlungsplan ist vollständig bezahlt", "Guten Tag {{ first_name }},\n\nalle Raten sind eingegangen ({{ debt }}). Der Plan ist abgeschlossen. Vielen Dank!\n\nWattDesk"),
        "en": ("Your payment plan is fully paid", "Hello {{ first_name }},\n\nAll instalments have been received ({{ debt }}). The plan is closed. Thank you!\n\nWattDesk"),
    },
}


def _register() -> None:
    added = {kind: texts for kind, texts in TEXTS.items() if kind not in mail_texts.TEXTS}
    if added:
        mail_texts.TEXTS.update(added)
        mail_texts._environment.cache_clear()  # the registry is read once per process; rebuild it


_register()


def render(kind: str, language: str, **values: object) -> tuple[str, str]:
    return mail_texts.render(kind, language, **values)
