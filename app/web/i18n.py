"""The pages' words in Dutch, French and English (problems keep theirs in app/api/problems)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from app.domain.localized import Lang

LANGUAGES: Final[tuple[Lang, ...]] = ("nl", "fr", "en")
LANGUAGE_NAMES: Final[Mapping[Lang, str]] = {"nl": "Nederlands", "fr": "Français", "en": "English"}

TEXTS: Final[Mapping[str, Mapping[Lang, str]]] = {
    "app": {"nl": "OpenPas", "fr": "OpenPas", "en": "OpenPas"},
    "skip": {"nl": "Naar de inhoud", "fr": "Aller au contenu", "en": "Skip to content"},
    "desk": {"nl": "Balie", "fr": "Guichet", "en": "Desk"},
    "dashboard": {"nl": "Cijfers", "fr": "Chiffres", "en": "Figures"},
    "language": {"nl": "Taal", "fr": "Langue", "en": "Language"},
    "logout": {"nl": "Afmelden", "fr": "Se déconnecter", "en": "Log out"},
    "login": {"nl": "Aanmelden", "fr": "Se connecter", "en": "Log in"},
    "email": {"nl": "E-mailadres", "fr": "Adresse e-mail", "en": "E-mail address"},
    "password": {"nl": "Wachtwoord", "fr": "Mot de passe", "en": "Password"},
    "password_again": {
        "nl": "Wachtwoord nog eens",
        "fr": "Mot de passe (encore)",
        "en": "Password again",
    },
    "password_hint": {
        "nl": "Minstens 12 tekens. Een korte zin van enkele woorden is goed.",
        "fr": "Au moins 12 caractères. Une courte phrase de quelques mots convient.",
        "en": "At least 12 characters. A short sentence of a few words is fine.",
    },
    "passwords_differ": {
        "nl": "De twee wachtwoorden zijn niet gelijk.",
        "fr": "Les deux mots de passe ne sont pas identiques.",
        "en": "The two passwords are not the same.",
    },
    "activate": {"nl": "Account activeren", "fr": "Activer le compte", "en": "Activate account"},
    "activate_for": {
        "nl": "Kies een wachtwoord voor",
        "fr": "Choisissez un mot de passe pour",
        "en": "Choose a password for",
    },
    "activated": {
        "nl": "Je account is actief. Meld je nu aan.",
        "fr": "Votre compte est actif. Connectez-vous maintenant.",
        "en": "Your account is active. Please log in now.",
    },
    "logged_out": {
        "nl": "Je bent afgemeld.",
        "fr": "Vous êtes déconnecté.",
        "en": "You are logged out.",
    },
    "signed_in_as": {"nl": "Aangemeld als", "fr": "Connecté en tant que", "en": "Signed in as"},
    "offer": {"nl": "Aanbod", "fr": "Offre", "en": "Offer"},
    "card_number": {
        "nl": "Kaartnummer of ticketbon (scan of typ)",
        "fr": "Numéro de carte ou bon (scannez ou tapez)",
        "en": "Card number or voucher (scan or type)",
    },
    "card_or_voucher_hint": {
        "nl": "13 cijfers van de kaart, of de code van de ticketbon (bv. 7K2M-Q9XD-4HRT-BW).",
        "fr": "Les 13 chiffres de la carte, ou le code du bon (p. ex. 7K2M-Q9XD-4HRT-BW).",
        "en": "The card's 13 digits, or the voucher's code (e.g. 7K2M-Q9XD-4HRT-BW).",
    },
    "voucher": {"nl": "Ticketbon", "fr": "Bon", "en": "Voucher"},
    "people_now": {
        "nl": "Aantal personen nu",
        "fr": "Nombre de personnes maintenant",
        "en": "Number of people now",
    },
    "update": {"nl": "Bijwerken", "fr": "Mettre à jour", "en": "Update"},
    "tickets_on_voucher": {
        "nl": "Tickets nog op de bon",
        "fr": "Billets restants sur le bon",
        "en": "Tickets left on the voucher",
    },
    "find_tariff": {"nl": "Tarief opzoeken", "fr": "Chercher le tarif", "en": "Look up tariff"},
    "no_offers": {
        "nl": "Er is nu geen aanbod in verkoop.",
        "fr": "Aucune offre n'est en vente maintenant.",
        "en": "Nothing is on sale now.",
    },
    "today_sales": {
        "nl": "Verkopen van vandaag",
        "fr": "Ventes d'aujourd'hui",
        "en": "Today's sales",
    },
    "holder": {"nl": "Pashouder", "fr": "Titulaire", "en": "Passholder"},
    "card_status": {"nl": "Kaart", "fr": "Carte", "en": "Card"},
    "status_active": {"nl": "actief", "fr": "active", "en": "active"},
    "regular_price": {"nl": "Gewone prijs", "fr": "Prix normal", "en": "Regular price"},
    "choose_tariff": {
        "nl": "Kies het tarief om te verkopen",
        "fr": "Choisissez le tarif à vendre",
        "en": "Choose the tariff to sell",
    },
    "sell_at": {"nl": "Verkopen tegen", "fr": "Vendre au", "en": "Sell at"},
    "remaining": {"nl": "nog", "fr": "reste", "en": "left"},
    "no_tariff": {
        "nl": "Geen verminderd tarief voor deze kaart: de gewone prijs geldt.",
        "fr": "Pas de tarif réduit pour cette carte : le prix normal s'applique.",
        "en": "No reduced tariff for this card: the regular price applies.",
    },
    "back": {"nl": "Terug naar de balie", "fr": "Retour au guichet", "en": "Back to the desk"},
    "next_customer": {"nl": "Volgende klant", "fr": "Client suivant", "en": "Next customer"},
    "receipt": {"nl": "Ontvangstbewijs", "fr": "Reçu", "en": "Receipt"},
    "to_pay": {"nl": "Te betalen", "fr": "À payer", "en": "To pay"},
    "sale_status": {"nl": "Status", "fr": "Statut", "en": "Status"},
    "status_confirmed": {"nl": "verkocht", "fr": "vendu", "en": "sold"},
    "status_held": {"nl": "gereserveerd", "fr": "réservé", "en": "reserved"},
    "status_cancelled": {"nl": "geannuleerd", "fr": "annulé", "en": "cancelled"},
    "status_expired": {"nl": "vervallen", "fr": "expiré", "en": "expired"},
    "cancel_sale": {"nl": "Verkoop annuleren", "fr": "Annuler la vente", "en": "Cancel sale"},
    "cancelled_note": {
        "nl": "Deze verkoop is geannuleerd; het ticket telt niet meer.",
        "fr": "Cette vente est annulée ; le billet ne compte plus.",
        "en": "This sale is cancelled; the ticket no longer counts.",
    },
    "tickets": {"nl": "Tickets", "fr": "Billets", "en": "Tickets"},
    "tariff": {"nl": "Tarief", "fr": "Tarif", "en": "Tariff"},
    "time": {"nl": "Tijd", "fr": "Heure", "en": "Time"},
    "amount": {"nl": "Bedrag", "fr": "Montant", "en": "Amount"},
    "open": {"nl": "Openen", "fr": "Ouvrir", "en": "Open"},
    "no_sales": {
        "nl": "Vandaag nog geen verkopen.",
        "fr": "Pas encore de ventes aujourd'hui.",
        "en": "No sales yet today.",
    },
    "problem": {"nl": "Probleem", "fr": "Problème", "en": "Problem"},
    "price_changed": {
        "nl": "Het tarief is intussen gewijzigd. Kies opnieuw.",
        "fr": "Le tarif a changé entre-temps. Choisissez à nouveau.",
        "en": "The tariff changed in the meantime. Choose again.",
    },
    "not_for_you": {
        "nl": "Deze pagina hoort niet bij jouw rol.",
        "fr": "Cette page ne correspond pas à votre rôle.",
        "en": "This page is not part of your role.",
    },
    "period": {"nl": "Periode", "fr": "Période", "en": "Period"},
    "from": {"nl": "Van", "fr": "Du", "en": "From"},
    "to": {"nl": "Tot en met", "fr": "Jusqu'à (compris)", "en": "Up to and including"},
    "show": {"nl": "Tonen", "fr": "Afficher", "en": "Show"},
    "participation_by_month": {
        "nl": "Deelname per maand",
        "fr": "Participation par mois",
        "en": "Participation by month",
    },
    "by_municipality": {
        "nl": "Per gemeente (woonplaats)",
        "fr": "Par commune (domicile)",
        "en": "By municipality (residence)",
    },
    "by_partner": {"nl": "Per organisator", "fr": "Par partenaire", "en": "By partner"},
    "by_scheme": {"nl": "Per kortingssysteem", "fr": "Par système de réduction", "en": "By scheme"},
    "cell": {"nl": "Cel", "fr": "Cellule", "en": "Cell"},
    "passholders": {"nl": "Pashouders", "fr": "Titulaires", "en": "Passholders"},
    "social_tickets": {
        "nl": "Tickets aan kansentarief",
        "fr": "Billets au tarif social",
        "en": "Social tariff tickets",
    },
    "discount": {"nl": "Korting", "fr": "Réduction", "en": "Discount"},
    "suppressed": {
        "nl": "verborgen (minder dan 5 personen)",
        "fr": "masqué (moins de 5 personnes)",
        "en": "hidden (fewer than 5 people)",
    },
    "total": {"nl": "Totaal", "fr": "Total", "en": "Total"},
    "non_take_up": {
        "nl": "Niet-gebruik (vandaag)",
        "fr": "Non-recours (aujourd'hui)",
        "en": "Non-take-up (today)",
    },
    "entitled": {"nl": "Rechthebbenden", "fr": "Ayants droit", "en": "Entitled people"},
    "with_card": {
        "nl": "Met actieve kaart",
        "fr": "Avec carte active",
        "en": "With an active card",
    },
    "unknown_group": {"nl": "Ongekende groep", "fr": "Groupe inconnu", "en": "Unknown group"},
    "pending": {
        "nl": "Op een lijst, nog niet geregistreerd",
        "fr": "Sur une liste, pas encore inscrits",
        "en": "On a list, not registered yet",
    },
    "settlement": {"nl": "Verrekening", "fr": "Décompte", "en": "Settlement"},
    "payer": {"nl": "Betaler", "fr": "Payeur", "en": "Payer"},
    "scheme": {"nl": "Kortingssysteem", "fr": "Système", "en": "Scheme"},
    "regular": {"nl": "Gewoon", "fr": "Normal", "en": "Regular"},
    "paid": {"nl": "Betaald", "fr": "Payé", "en": "Paid"},
    "owed": {"nl": "Verschuldigd", "fr": "Dû", "en": "Owed"},
    "download_csv": {"nl": "Download CSV", "fr": "Télécharger CSV", "en": "Download CSV"},
    "download_xlsx": {
        "nl": "Download Excel (XLSX)",
        "fr": "Télécharger Excel (XLSX)",
        "en": "Download Excel (XLSX)",
    },
    "participation_csv": {
        "nl": "Participatie per maand als CSV",
        "fr": "Participation par mois en CSV",
        "en": "Participation by month as CSV",
    },
    "participation_xlsx": {
        "nl": "Participatie per maand als Excel (XLSX)",
        "fr": "Participation par mois en Excel (XLSX)",
        "en": "Participation by month as Excel (XLSX)",
    },
    "no_lines": {
        "nl": "Geen lijnen in deze periode.",
        "fr": "Aucune ligne sur cette période.",
        "en": "No lines in this period.",
    },
    "chart_note": {
        "nl": "De grafiek toont dezelfde cijfers als de tabel eronder.",
        "fr": "Le graphique montre les mêmes chiffres que le tableau ci-dessous.",
        "en": "The chart shows the same figures as the table below it.",
    },
}


def text(key: str, language: Lang) -> str:
    return TEXTS[key][language]
