"""The H5P player's own strings (H5PIntegration.l10n.H5P) in French, translated like any box text."""

from __future__ import annotations

from flask_babel import gettext

from classbox.web.i18n_marks import N_

# Keys of h5p-standalone's defaults (English there); the English catalog gives H5P's own words back.
CORE = {
    "fullscreen": N_("Plein écran"),
    "disableFullscreen": N_("Quitter le plein écran"),
    "download": N_("Télécharger"),
    "copyrights": N_("Droits d'utilisation"),
    "embed": N_("Intégrer"),
    "size": N_("Taille"),
    "showAdvanced": N_("Afficher les options avancées"),
    "hideAdvanced": N_("Masquer les options avancées"),
    "advancedHelp": N_("Ajoutez ce script à votre site pour que le contenu intégré s'adapte à sa taille :"),
    "copyrightInformation": N_("Droits d'utilisation"),
    "close": N_("Fermer"),
    "title": N_("Titre"),
    "author": N_("Auteur"),
    "year": N_("Année"),
    "source": N_("Source"),
    "license": N_("Licence"),
    "thumbnail": N_("Vignette"),
    "noCopyrights": N_("Aucune information sur les droits n'est disponible pour ce contenu."),
    "reuse": N_("Réutiliser"),
    "reuseContent": N_("Réutiliser le contenu"),
    "reuseDescription": N_("Réutiliser ce contenu."),
    "downloadDescription": N_("Télécharger ce contenu en fichier H5P."),
    "copyrightsDescription": N_("Voir les droits d'utilisation de ce contenu."),
    "embedDescription": N_("Voir le code d'intégration de ce contenu."),
    "h5pDescription": N_("Visitez H5P.org pour découvrir d'autres contenus."),
    "contentChanged": N_("Ce contenu a changé depuis votre dernière visite."),
    "startingOver": N_("Vous allez recommencer depuis le début."),
    "by": N_("par"),
    "showMore": N_("Afficher plus"),
    "showLess": N_("Afficher moins"),
    "subLevel": N_("Sous-niveau"),
    "confirmDialogHeader": N_("Confirmer l'action"),
    "confirmDialogBody": N_("Confirmez que vous voulez continuer. Cette action est irréversible."),
    "cancelLabel": N_("Annuler"),
    "confirmLabel": N_("Confirmer"),
    "licenseU": N_("Non divulguée"),
    "licenseCCBY": N_("Attribution"),
    "licenseCCBYSA": N_("Attribution - Partage dans les mêmes conditions"),
    "licenseCCBYND": N_("Attribution - Pas de modification"),
    "licenseCCBYNC": N_("Attribution - Pas d'utilisation commerciale"),
    "licenseCCBYNCSA": N_("Attribution - Pas d'utilisation commerciale - Partage dans les mêmes conditions"),
    "licenseCCBYNCND": N_("Attribution - Pas d'utilisation commerciale - Pas de modification"),
    "licenseCC40": N_("4.0 International"),
    "licenseCC30": N_("3.0 non transposé"),
    "licenseCC25": N_("2.5 générique"),
    "licenseCC20": N_("2.0 générique"),
    "licenseCC10": N_("1.0 générique"),
    "licenseGPL": N_("Licence publique générale GNU"),
    "licenseV3": N_("Version 3"),
    "licenseV2": N_("Version 2"),
    "licenseV1": N_("Version 1"),
    "licensePD": N_("Domaine public"),
    "licenseCC010": N_("CC0 1.0 universel (CC0 1.0) : dévouement au domaine public"),
    "licensePDM": N_("Marque du domaine public"),
    "licenseC": N_("Droit d'auteur"),
    "contentType": N_("Type de contenu"),
    "licenseExtras": N_("Compléments de licence"),
    "changes": N_("Historique des modifications"),
    "contentCopied": N_("Le contenu est copié dans le presse-papiers"),
    "connectionLost": N_("Connexion perdue. Les résultats seront gardés et envoyés au retour de la connexion."),
    "connectionReestablished": N_("Connexion rétablie."),
    "resubmitScores": N_("Envoi des résultats gardés."),
    "offlineDialogHeader": N_("La connexion au serveur est perdue"),
    "offlineDialogBody": N_("Le résultat de cette activité n'a pas pu être envoyé. Vérifiez la connexion."),
    "offlineDialogRetryMessage": N_("Nouvel essai dans :num…"),
    "offlineDialogRetryButtonLabel": N_("Réessayer maintenant"),
    "offlineSuccessfulSubmit": N_("Résultats envoyés."),
}


def core_strings() -> dict[str, dict[str, str]]:
    """H5P's `translations` option for the player, in the page's language."""
    return {"H5P": {key: gettext(text) for key, text in CORE.items()}}
