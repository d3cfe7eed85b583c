// i18n.js: the people's client in English and French (the other languages
// are in i18n-LANG.js). Keys are grouped by
// screen; {name} placeholders are filled by t(). Add a language by adding
// a dictionary with the same keys.

import { h } from '../shared/view.js';
import { createI18n, langNames } from '../shared/i18n.js';

const en = {
  appName: 'Parley', tagline: 'Private messages, channels and businesses.', retry: 'Retry', back: 'Back', ok: 'OK', cancel: 'Cancel',
  create: 'Create', save: 'Save', saved: 'Saved', loading: 'Loading…', delete: 'Delete', search: 'Search', you: 'You',
  'login.title': 'Sign in or create an account', 'login.phone': 'Phone number', 'login.phoneHelp': 'With the country code, for example +14155550101.',
  'login.sendCode': 'Send code', 'login.codeTitle': 'Enter the code', 'login.codeSent': 'We sent a 6-digit code to {phone}.',
  'login.code': 'Code', 'login.devHint': 'Running Parley yourself? Without an SMS gateway the code is in the server log.',
  'login.verify': 'Verify', 'login.nameTitle': 'What should people call you?', 'login.name': 'Display name', 'login.start': 'Start chatting',
  sidebar: 'Chats and channels', sections: 'Sections', 'tab.chats': 'Chats', 'tab.updates': 'Updates', searchChats: 'Search chats and messages',
  newChat: 'New chat', newGroup: 'New group', settings: 'Settings', conversation: 'Conversation', messages: 'Messages',
  pickChat: 'Choose a chat, or start a new one.', pickChannel: 'Choose a channel, or find new ones.', noChats: 'No chats yet.',
  noMatches: 'Nothing matches.', notOnParley: '{phone} is not on Parley.', unreadN: { one: '{n} unread message', other: '{n} unread messages' }, typing: 'typing…',
  typingNames: '{names} typing…', online: 'online', lastSeen: 'last seen {time}', media: 'Attachment', deleted: 'This message was deleted',
  verified: 'Verified business', businessAccount: 'Business account', groupInfo: 'Group info', chatMenu: 'Chat options',
  jumpLatest: 'Jump to the latest messages', typeMessage: 'Message', attach: 'Attach a file', send: 'Send',
  addCaption: 'Add a caption, then send.', forwarded: 'Forwarded', replyTo: 'Reply', edited: 'edited', notSent: 'Not sent',
  undecodable: 'This message cannot be shown on this device.', mediaGone: 'The attachment is no longer available.',
  reactions: 'Reactions', messageActions: 'Message actions', reply: 'Reply', forward: 'Forward', forwardTo: 'Forward to…',
  forwardedToast: 'Forwarded', copy: 'Copy', edit: 'Edit', deleteForEveryone: 'Delete for everyone',
  deleteConfirm: 'Delete this message for everyone in the chat?', react: 'React', reactWith: 'React with {emoji}',
  replyingTo: 'Replying to {name}', editing: 'Editing the message', onlyAdmins: 'Only admins can send messages to this group.',
  block: 'Block', unblock: 'Unblock', blockedToast: 'Blocked', unblocked: 'Unblocked', disappearing: 'Disappearing messages',
  'timer.0': 'Off', 'timer.86400': '24 hours', 'timer.604800': '7 days', 'timer.7776000': '90 days',
  'tick.pending': 'Waiting to send', 'tick.sent': 'Sent', 'tick.delivered': 'Delivered', 'tick.read': 'Read', 'tick.failed': 'Not sent',
  'conn.offline': 'You are offline. Messages will be sent when the connection is back.',
  'conn.replaced': 'Parley is open in another tab. Reload to use it here.',
  'notice.sendFailed': 'Could not send: {error}', 'notice.deviceLinked': 'A new device was linked: {name}',
  'biz.block': 'Block this business', 'biz.blocked': 'Business blocked', 'biz.report': 'Report as spam', 'biz.reported': 'Reported. Thank you.',
  'biz.stopMarketing': 'Stop marketing messages', 'biz.marketingStopped': 'You will no longer receive its offers.',
  'biz.resumeMarketing': 'Resume marketing messages', 'biz.marketingResumed': 'Offers resumed.',
  'biz.choices': 'Choices', 'biz.choose': 'Choose', 'biz.answered': 'Answered',
  'biz.order': 'Place order', 'biz.orderText': { one: 'Order: {n} item', other: 'Order: {n} items' }, 'biz.quantity': 'Quantity of {name}',
  'biz.flowUnsupported': 'This form opens in apps that support WhatsApp Flows.',
  'group.subject': 'Group name', 'group.members': 'Members (phone numbers)', 'group.rename': 'Rename', 'group.onlyAdmins': 'Only admins can send messages',
  'group.membersN': { one: '{n} member', other: '{n} members' }, 'group.add': 'Add member', 'group.admin': 'admin', 'group.memberActions': 'Actions for {name}',
  'group.promote': 'Make admin', 'group.demote': 'Dismiss as admin', 'group.remove': 'Remove from group', 'group.leave': 'Leave group',
  'group.leaveConfirm': 'Leave this group? You will stop receiving its messages.',
  'sys.group_created': '{who} created the group "{subject}"', 'sys.members_added': '{who} added {accounts}', 'sys.member_removed': '{who} removed {accounts}',
  'sys.member_left': '{who} left', 'sys.subject_changed': '{who} renamed the group to "{subject}"', 'sys.settings_changed': '{who} changed the group settings',
  'sys.role_changed': '{who} made {accounts} {role}', 'sys.disappearing_changed': '{who} set disappearing messages: {timer}',
  'set.profile': 'Profile', 'set.about': 'About', 'set.avatar': 'Photo', 'set.privacy': 'Privacy', 'set.lastSeen': 'Who sees my last seen',
  'set.avatarVis': 'Who sees my photo', 'set.readReceipts': 'Send read receipts', 'set.devices': 'Linked devices', 'set.device': 'Device {id}',
  'set.thisDevice': 'this device', 'set.lastActive': 'active {time}', 'set.revoke': 'Log out device', 'set.revokeConfirm': 'Log out "{name}"?',
  'set.blocked': 'Blocked', 'set.noneBlocked': 'Nobody is blocked.', 'set.language': 'Language', 'set.logout': 'Log out',
  'set.notifications': 'Notifications', 'set.pushToggle': 'Notify me of new messages on this device',
  'set.pushHint': 'A notification says only \u201cNew message\u201d and the chat: the text stays on your device.',
  'set.pushUnsupported': 'This browser cannot show notifications.', 'set.pushDenied': 'Notifications are blocked in the browser\u2019s settings.',
  'set.pushFailed': 'Could not turn notifications on.', 'set.dnd': 'Do not disturb',
  mute: 'Mute notifications', 'mute.off': 'Off', 'mute.8h': 'For 8 hours', 'mute.week': 'For a week', 'mute.always': 'Always',
  'vis.everyone': 'Everyone', 'vis.contacts': 'My contacts', 'vis.nobody': 'Nobody',
  'ch.find': 'Find channels', 'ch.none': 'You follow no channels yet.', 'ch.muted': 'Muted', 'ch.suspended': 'Suspended',
  'ch.suspendedReason': 'Suspended: {reason}', 'ch.older': 'Older posts', 'ch.posts': 'Posts', 'ch.post': 'Post', 'ch.follow': 'Follow',
  'ch.following': 'Following', 'ch.unfollow': 'Unfollow', 'ch.requested': 'Requested', 'ch.mute': 'Mute', 'ch.unmute': 'Unmute',
  'ch.followers': { one: '{n} follower', other: '{n} followers' }, 'ch.subscribe': 'Subscribe', 'ch.subscription': 'Your subscription',
  'ch.subscribedUntil': 'Subscribed; paid until {time}.', 'ch.cancelSub': 'Cancel subscription', 'ch.cancelled': 'Cancelled at the end of the period.',
  'ch.noTiers': 'This channel has no paid tier.', 'ch.tier': 'Tier', 'ch.month': 'month', 'ch.sandbox': 'Charged through the server\'s payment provider.',
  'ch.pay': 'Pay and subscribe', 'ch.subscribed': 'Subscribed', 'ch.report': 'Report channel', 'ch.reportPost': 'Report post', 'ch.reason': 'Reason',
  'ch.reported': 'Reported. Thank you.', 'ch.locked': 'For subscribers', 'ch.poll': 'Poll', 'ch.voters': { one: '{n} voter', other: '{n} voters' },
  'ch.directory': 'Channel directory', 'ch.search': 'Search channels', 'ch.sort': 'Sort', 'ch.sort.popular': 'Popular',
  'ch.sort.growth': 'Growing', 'ch.sort.new': 'New', 'ch.promoted': 'Promoted',
  'login.badPhone': '{reason}.', 'err.invalid_argument': 'Please check what you entered.', 'err.code_invalid': 'That code is not right.',
  'err.code_expired': 'The code expired. Ask for a new one.', 'err.rate_limited': 'Too many tries. Wait a little and try again.',
  'err.blocked': 'You cannot message this person.', 'err.forbidden': 'You are not allowed to do that.', 'err.not_found': 'Not found.',
  'err.network': 'No connection.', 'err.unavailable': 'The server is busy. Try again.', 'err.window_closed': 'It is too late to change this message.',
  'err.too_large': 'That is too large.', 'err.unsupported_media_type': 'That file type cannot be sent.',
  'err.limit_exceeded': 'A limit was reached.', 'err.payment_declined': 'The payment was declined.',
  'err.subscription_required': 'For subscribers only.', 'err.channel_suspended': 'This channel is suspended.',
};

const fr = {
  appName: 'Parley', tagline: 'Messages privés, chaînes et entreprises.', retry: 'Réessayer', back: 'Retour', ok: 'OK', cancel: 'Annuler',
  create: 'Créer', save: 'Enregistrer', saved: 'Enregistré', loading: 'Chargement…', delete: 'Supprimer', search: 'Rechercher', you: 'Vous',
  'login.title': 'Connectez-vous ou créez un compte', 'login.phone': 'Numéro de téléphone', 'login.phoneHelp': 'Avec l\u2019indicatif du pays, par exemple +33612345678.',
  'login.sendCode': 'Envoyer le code', 'login.codeTitle': 'Saisissez le code', 'login.codeSent': 'Nous avons envoyé un code à 6 chiffres au {phone}.',
  'login.code': 'Code', 'login.devHint': 'Vous hébergez Parley ? Sans passerelle SMS, le code est dans le journal du serveur.',
  'login.verify': 'Vérifier', 'login.nameTitle': 'Comment vous appeler ?', 'login.name': 'Nom affiché', 'login.start': 'Commencer',
  sidebar: 'Discussions et chaînes', sections: 'Sections', 'tab.chats': 'Discussions', 'tab.updates': 'Actus', searchChats: 'Rechercher discussions et messages',
  newChat: 'Nouvelle discussion', newGroup: 'Nouveau groupe', settings: 'Réglages', conversation: 'Conversation', messages: 'Messages',
  pickChat: 'Choisissez une discussion ou commencez-en une.', pickChannel: 'Choisissez une chaîne ou trouvez-en de nouvelles.', noChats: 'Aucune discussion.',
  noMatches: 'Aucun résultat.', notOnParley: '{phone} n\u2019est pas sur Parley.', unreadN: { one: '{n} message non lu', many: '{n} messages non lus', other: '{n} messages non lus' }, typing: 'écrit…',
  typingNames: '{names} écrit…', online: 'en ligne', lastSeen: 'vu {time}', media: 'Pièce jointe', deleted: 'Ce message a été supprimé',
  verified: 'Entreprise vérifiée', businessAccount: 'Compte professionnel', groupInfo: 'Infos du groupe', chatMenu: 'Options de la discussion',
  jumpLatest: 'Aller aux derniers messages', typeMessage: 'Message', attach: 'Joindre un fichier', send: 'Envoyer',
  addCaption: 'Ajoutez une légende, puis envoyez.', forwarded: 'Transféré', replyTo: 'Réponse', edited: 'modifié', notSent: 'Non envoyé',
  undecodable: 'Ce message ne peut pas être affiché sur cet appareil.', mediaGone: 'La pièce jointe n\u2019est plus disponible.',
  reactions: 'Réactions', messageActions: 'Actions du message', reply: 'Répondre', forward: 'Transférer', forwardTo: 'Transférer à…',
  forwardedToast: 'Transféré', copy: 'Copier', edit: 'Modifier', deleteForEveryone: 'Supprimer pour tous',
  deleteConfirm: 'Supprimer ce message pour tous les participants ?', react: 'Réagir', reactWith: 'Réagir avec {emoji}',
  replyingTo: 'Réponse à {name}', editing: 'Modification du message', onlyAdmins: 'Seuls les admins peuvent écrire dans ce groupe.',
  block: 'Bloquer', unblock: 'Débloquer', blockedToast: 'Bloqué', unblocked: 'Débloqué', disappearing: 'Messages éphémères',
  'timer.0': 'Désactivés', 'timer.86400': '24 heures', 'timer.604800': '7 jours', 'timer.7776000': '90 jours',
  'tick.pending': 'En attente d\u2019envoi', 'tick.sent': 'Envoyé', 'tick.delivered': 'Distribué', 'tick.read': 'Lu', 'tick.failed': 'Non envoyé',
  'conn.offline': 'Vous êtes hors ligne. Les messages partiront au retour de la connexion.',
  'conn.replaced': 'Parley est ouvert dans un autre onglet. Rechargez pour l\u2019utiliser ici.',
  'notice.sendFailed': 'Envoi impossible : {error}', 'notice.deviceLinked': 'Nouvel appareil associé : {name}',
  'biz.block': 'Bloquer cette entreprise', 'biz.blocked': 'Entreprise bloquée', 'biz.report': 'Signaler comme spam', 'biz.reported': 'Signalé. Merci.',
  'biz.stopMarketing': 'Ne plus recevoir ses offres', 'biz.marketingStopped': 'Vous ne recevrez plus ses offres.',
  'biz.resumeMarketing': 'Recevoir à nouveau ses offres', 'biz.marketingResumed': 'Offres réactivées.',
  'biz.choices': 'Choix', 'biz.choose': 'Choisir', 'biz.answered': 'Répondu',
  'biz.order': 'Commander', 'biz.orderText': { one: 'Commande : {n} article', many: 'Commande : {n} articles', other: 'Commande : {n} articles' }, 'biz.quantity': 'Quantité de {name}',
  'biz.flowUnsupported': 'Ce formulaire s\u2019ouvre dans les applications compatibles avec WhatsApp Flows.',
  'group.subject': 'Nom du groupe', 'group.members': 'Membres (numéros)', 'group.rename': 'Renommer', 'group.onlyAdmins': 'Seuls les admins peuvent écrire',
  'group.membersN': { one: '{n} membre', many: '{n} membres', other: '{n} membres' }, 'group.add': 'Ajouter un membre', 'group.admin': 'admin', 'group.memberActions': 'Actions pour {name}',
  'group.promote': 'Nommer admin', 'group.demote': 'Retirer les droits d\u2019admin', 'group.remove': 'Retirer du groupe', 'group.leave': 'Quitter le groupe',
  'group.leaveConfirm': 'Quitter ce groupe ? Vous ne recevrez plus ses messages.',
  'sys.group_created': '{who} a créé le groupe « {subject} »', 'sys.members_added': '{who} a ajouté {accounts}', 'sys.member_removed': '{who} a retiré {accounts}',
  'sys.member_left': '{who} est parti', 'sys.subject_changed': '{who} a renommé le groupe en « {subject} »', 'sys.settings_changed': '{who} a modifié les réglages du groupe',
  'sys.role_changed': '{who} a rendu {accounts} {role}', 'sys.disappearing_changed': '{who} a réglé les messages éphémères : {timer}',
  'set.profile': 'Profil', 'set.about': 'Infos', 'set.avatar': 'Photo', 'set.privacy': 'Confidentialité', 'set.lastSeen': 'Qui voit ma dernière connexion',
  'set.avatarVis': 'Qui voit ma photo', 'set.readReceipts': 'Envoyer les confirmations de lecture', 'set.devices': 'Appareils associés', 'set.device': 'Appareil {id}',
  'set.thisDevice': 'cet appareil', 'set.lastActive': 'actif {time}', 'set.revoke': 'Déconnecter', 'set.revokeConfirm': 'Déconnecter « {name} » ?',
  'set.blocked': 'Bloqués', 'set.noneBlocked': 'Personne n\u2019est bloqué.', 'set.language': 'Langue', 'set.logout': 'Se déconnecter',
  'set.notifications': 'Notifications', 'set.pushToggle': 'M\u2019avertir des nouveaux messages sur cet appareil',
  'set.pushHint': 'Une notification dit seulement \u00ab Nouveau message \u00bb et la discussion : le texte reste sur votre appareil.',
  'set.pushUnsupported': 'Ce navigateur ne peut pas afficher de notifications.', 'set.pushDenied': 'Les notifications sont bloquées dans les réglages du navigateur.',
  'set.pushFailed': 'Impossible d\u2019activer les notifications.', 'set.dnd': 'Ne pas déranger',
  mute: 'Mettre en sourdine', 'mute.off': 'Non', 'mute.8h': 'Pendant 8 heures', 'mute.week': 'Pendant une semaine', 'mute.always': 'Toujours',
  'vis.everyone': 'Tout le monde', 'vis.contacts': 'Mes contacts', 'vis.nobody': 'Personne',
  'ch.find': 'Trouver des chaînes', 'ch.none': 'Vous ne suivez aucune chaîne.', 'ch.muted': 'En sourdine', 'ch.suspended': 'Suspendue',
  'ch.suspendedReason': 'Suspendue : {reason}', 'ch.older': 'Publications plus anciennes', 'ch.posts': 'Publications', 'ch.post': 'Publication', 'ch.follow': 'Suivre',
  'ch.following': 'Abonné', 'ch.unfollow': 'Ne plus suivre', 'ch.requested': 'Demandé', 'ch.mute': 'Mettre en sourdine', 'ch.unmute': 'Réactiver le son',
  'ch.followers': { one: '{n} abonné', many: '{n} abonnés', other: '{n} abonnés' }, 'ch.subscribe': 'S\u2019abonner', 'ch.subscription': 'Votre abonnement',
  'ch.subscribedUntil': 'Abonné ; payé jusqu\u2019au {time}.', 'ch.cancelSub': 'Résilier', 'ch.cancelled': 'Résilié à la fin de la période.',
  'ch.noTiers': 'Cette chaîne n\u2019a pas d\u2019offre payante.', 'ch.tier': 'Offre', 'ch.month': 'mois', 'ch.sandbox': 'Payé via le prestataire de paiement du serveur.',
  'ch.pay': 'Payer et s\u2019abonner', 'ch.subscribed': 'Abonné', 'ch.report': 'Signaler la chaîne', 'ch.reportPost': 'Signaler la publication', 'ch.reason': 'Motif',
  'ch.reported': 'Signalé. Merci.', 'ch.locked': 'Réservé aux abonnés', 'ch.poll': 'Sondage', 'ch.voters': { one: '{n} votant', many: '{n} votants', other: '{n} votants' },
  'ch.directory': 'Annuaire des chaînes', 'ch.search': 'Rechercher des chaînes', 'ch.sort': 'Trier', 'ch.sort.popular': 'Populaires',
  'ch.sort.growth': 'En croissance', 'ch.sort.new': 'Nouvelles', 'ch.promoted': 'Sponsorisé',
  'login.badPhone': 'Numéro refusé par le serveur : {reason}.', 'err.invalid_argument': 'Vérifiez votre saisie.', 'err.code_invalid': 'Ce code n\u2019est pas le bon.',
  'err.code_expired': 'Le code a expiré. Demandez-en un nouveau.', 'err.rate_limited': 'Trop d\u2019essais. Patientez un peu.',
  'err.blocked': 'Vous ne pouvez pas écrire à cette personne.', 'err.forbidden': 'Action non autorisée.', 'err.not_found': 'Introuvable.',
  'err.network': 'Pas de connexion.', 'err.unavailable': 'Le serveur est occupé. Réessayez.', 'err.window_closed': 'Trop tard pour modifier ce message.',
  'err.too_large': 'C\u2019est trop volumineux.', 'err.unsupported_media_type': 'Ce type de fichier ne peut pas être envoyé.',
  'err.limit_exceeded': 'Une limite est atteinte.', 'err.payment_declined': 'Le paiement a été refusé.',
  'err.subscription_required': 'Réservé aux abonnés.', 'err.channel_suspended': 'Cette chaîne est suspendue.',
};

// dicts are the tables loaded with the page; lazy fetches the others
// (Spanish, Brazilian Portuguese, Hindi, Arabic) only when one is the
// language in use, so that the first load stays small.
export const dicts = { en, fr };
export const lazy = {
  es: () => import('./i18n-es.js'),
  'pt-BR': () => import('./i18n-pt-BR.js'),
  hi: () => import('./i18n-hi.js'),
  ar: () => import('./i18n-ar.js'),
};
export const i18n = createI18n({ ...dicts }, 'parley.lang', lazy);
export const t = i18n.t;

// errorText is the person-facing text of an API error: the translation of
// its code when there is one, else the server's message.
export function errorText(e) {
  if (!e) return '';
  const key = 'err.' + e.code;
  const s = t(key);
  return s === key ? (e.message || String(e.code)) : s;
}

// langPicker is a select that switches the language at once.
export function langPicker() {
  return h('label.field', h('span', t('set.language')),
    h('select#lang', { onchange: (ev) => i18n.set(ev.target.value) },
      i18n.supported.map((l) => h('option', { value: l, selected: l === i18n.lang, lang: l }, langNames[l] || l))));
}
