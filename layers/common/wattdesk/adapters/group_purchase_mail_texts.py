"""Mail texts of group purchases (to the campaign's organiser), joined to wattdesk.adapters.mail_texts."""

from __future__ import annotations

_COUNTS = {
    "nl": "Rijen: {{ total }}\n- bevestigd: {{ confirmed }}\n- wachten op de netbeheerder: {{ waiting }}\n- in behandeling bij onze dienst: {{ blocked }}\n- geweigerd (fouten in de rij): {{ rejected }}\n- dubbel (al ingeschreven): {{ duplicate }}\n- niet verwerkt (technisch, wordt opnieuw geprobeerd): {{ failed }}\n- geannuleerd: {{ cancelled }}",
    "fr": "Lignes : {{ total }}\n- confirmées : {{ confirmed }}\n- en attente du gestionnaire de réseau : {{ waiting }}\n- en traitement par notre service : {{ blocked }}\n- refusées (erreurs dans la ligne) : {{ rejected }}\n- doublons (déjà inscrits) : {{ duplicate }}\n- non traitées (technique, nouvel essai prévu) : {{ failed }}\n- annulées : {{ cancelled }}",
    "de": "Zeilen: {{ total }}\n- bestätigt: {{ confirmed }}\n- warten auf den Netzbetreiber: {{ waiting }}\n- in Bearbeitung durch unseren Dienst: {{ blocked }}\n- abgelehnt (Fehler in der Zeile): {{ rejected }}\n- doppelt (bereits angemeldet): {{ duplicate }}\n- nicht verarbeitet (technisch, neuer Versuch folgt): {{ failed }}\n- storniert: {{ cancelled }}",
    "en": "Rows: {{ total }}\n- confirmed: {{ confirmed }}\n- waiting for the grid operator: {{ waiting }}\n- being handled by our team: {{ blocked }}\n- rejected (errors in the row): {{ rejected }}\n- duplicates (already enrolled): {{ duplicate }}\n- not processed (technical, will be retried): {{ failed }}\n- cancelled: {{ cancelled }}",
}

GROUP_PURCHASE_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "group_purchase_summary": {
        "nl": ("Groepsaankoop {{ campaign }}: verwerking van {{ file_name }}", "Beste organisator,\n\nWe hebben het bestand {{ file_name }} van de groepsaankoop {{ campaign }} verwerkt.{% if timed_out %} Enkele rijen wachten nog; u krijgt hun resultaat in het rapport op aanvraag.{% endif %}\n\n" + _COUNTS["nl"] + "\n\nHet rapport per rij zit in bijlage (rijnummer, resultaat, inschrijvingsnummer, foutcodes). Verbeter de geweigerde rijen en stuur ze opnieuw: rijen die al ingeschreven zijn, worden niet dubbel ingeschreven.\n\nWattDesk"),
        "fr": ("Achat groupé {{ campaign }} : traitement de {{ file_name }}", "Bonjour,\n\nNous avons traité le fichier {{ file_name }} de l'achat groupé {{ campaign }}.{% if timed_out %} Quelques lignes sont encore en attente ; leur résultat figurera dans le rapport sur demande.{% endif %}\n\n" + _COUNTS["fr"] + "\n\nLe rapport par ligne est en annexe (numéro de ligne, résultat, numéro d'inscription, codes d'erreur). Corrigez les lignes refusées et renvoyez-les : les lignes déjà inscrites ne le seront pas deux fois.\n\nWattDesk"),
        "de": ("Sammeleinkauf {{ campaign }}: Verarbeitung von {{ file_name }}", "Guten Tag,\n\nwir haben die Datei {{ file_name }} des Sammeleinkaufs {{ campaign }} verarbeitet.{% if timed_out %} Einige Zeilen warten noch; ihr Ergebnis steht im Bericht auf Anfrage.{% endif %}\n\n" + _COUNTS["de"] + "\n\nDer Bericht pro Zeile ist angehängt (Zeilennummer, Ergebnis, Anmeldenummer, Fehlercodes). Korrigieren Sie die abgelehnten Zeilen und senden Sie sie erneut: bereits angemeldete Zeilen werden nicht doppelt angemeldet.\n\nWattDesk"),
        "en": ("Group purchase {{ campaign }}: {{ file_name }} processed", "Hello,\n\nWe processed the file {{ file_name }} of the group purchase {{ campaign }}.{% if timed_out %} A few rows are still waiting; their outcome will be in the report on request.{% endif %}\n\n" + _COUNTS["en"] + "\n\nThe per-row report is attached (row number, outcome, enrollment id, error codes). Correct the rejected rows and send them again: rows already enrolled are never enrolled twice.\n\nWattDesk"),
    },
    "group_purchase_refused": {
        "nl": ("Groepsaankoop {{ campaign }}: bestand {{ file_name }} geweigerd", "Beste organisator,\n\nHet bestand {{ file_name }} van de groepsaankoop {{ campaign }} kon niet worden verwerkt; er is niemand ingeschreven.\n\n{{ problems }}\n\nPas het bestand aan en stuur het opnieuw.\n\nWattDesk"),
        "fr": ("Achat groupé {{ campaign }} : fichier {{ file_name }} refusé", "Bonjour,\n\nLe fichier {{ file_name }} de l'achat groupé {{ campaign }} n'a pas pu être traité ; personne n'a été inscrit.\n\n{{ problems }}\n\nCorrigez le fichier et renvoyez-le.\n\nWattDesk"),
        "de": ("Sammeleinkauf {{ campaign }}: Datei {{ file_name }} abgelehnt", "Guten Tag,\n\ndie Datei {{ file_name }} des Sammeleinkaufs {{ campaign }} konnte nicht verarbeitet werden; niemand wurde angemeldet.\n\n{{ problems }}\n\nBitte korrigieren Sie die Datei und senden Sie sie erneut.\n\nWattDesk"),
        "en": ("Group purchase {{ campaign }}: file {{ file_name }} refused", "Hello,\n\nThe file {{ file_name }} of the group purchase {{ campaign }} could not be processed; nobody was enrolled.\n\n{{ problems }}\n\nPlease correct the file and send it again.\n\nWattDesk"),
    },
}
