// Every text the console shows, in 简体中文 and English. The language is the browser's
// (zh* gives Chinese) until the person picks one with the button in the header; the choice is
// kept in localStorage. Elements carry data-i18n="key" (text), data-i18n-placeholder,
// data-i18n-aria-label or data-i18n-title; scripts call t('key', {name: value}).
const TEXTS = {
  // header and navigation
  'app.title': ['laurel 工会凭证账本', 'laurel union credential ledger'],
  'nav.explorer': ['浏览器', 'Explorer'],
  'nav.gate': ['门禁核验', 'Gate'],
  'nav.issuer': ['发证控制台', 'Issuer console'],
  'nav.skip': ['跳到正文', 'Skip to content'],
  'lang.switch': ['English', '中文'],
  'lang.switch.label': ['Switch language / 切换语言', 'Switch language / 切换语言'],
  'footer.api': ['HTTP 接口说明（OpenAPI）', 'HTTP API description (OpenAPI)'],
  // common
  'common.loading': ['加载中…', 'Loading…'],
  'common.error': ['出错了：{msg}', 'Error: {msg}'],
  'common.none': ['无', 'none'],
  'common.yes': ['是', 'yes'],
  'common.no': ['否', 'no'],
  'common.height': ['高度', 'Height'],
  'common.time': ['时间', 'Time'],
  'common.status': ['状态', 'Status'],
  'common.result': ['结果', 'Result'],
  'common.action': ['操作', 'Action'],
  'common.signer': ['签名者', 'Signer'],
  'common.type': ['类型', 'Type'],
  'common.level': ['级别', 'Level'],
  'common.issuer': ['发证单位', 'Issuer'],
  'common.valid_from': ['生效日期', 'Valid from'],
  'common.valid_until': ['有效期至', 'Valid until'],
  'common.reason': ['原因', 'Reason'],
  'common.name': ['名称', 'Name'],
  'common.parent': ['上级单位', 'Parent'],
  'common.more': ['加载更多', 'Load more'],
  // explorer
  'ex.heading': ['区块链浏览器', 'Chain explorer'],
  'ex.search.label': ['按编号查询：区块高度、交易编号、凭证编号或单位编号',
    'Search by id: block height, transaction id, credential id or issuer id'],
  'ex.search.button': ['查询', 'Search'],
  'ex.search.bad': ['无法识别的编号：{q}', 'Not an id this explorer knows: {q}'],
  'ex.status.heading': ['链状态', 'Chain status'],
  'ex.status.chain': ['链编号', 'Chain id'],
  'ex.status.node': ['节点', 'Node'],
  'ex.status.health': ['健康状况', 'Health'],
  'ex.status.ready': ['就绪：已同步并参与共识', 'ready: synced and in consensus'],
  'ex.status.notready': ['未就绪', 'not ready'],
  'ex.status.peers': ['已连接验证节点', 'Peers connected'],
  'ex.status.validators': ['验证节点数', 'Validators'],
  'ex.status.mempool': ['待处理交易', 'Pending transactions'],
  'ex.status.live': ['实时更新：新区块提交时自动刷新', 'Live: updates as blocks commit'],
  'ex.latest.heading': ['最新区块', 'Latest blocks'],
  'ex.issuers.heading': ['发证单位', 'Issuers'],
  'ex.issuers.link': ['全部发证单位', 'All issuers'],
  'ex.block.heading': ['区块 {h}', 'Block {h}'],
  'ex.block.id': ['区块哈希', 'Block id'],
  'ex.block.parent': ['父区块', 'Parent'],
  'ex.block.txs': ['交易数', 'Transactions'],
  'ex.block.state_root': ['状态根', 'State root'],
  'ex.block.prev': ['上一个区块', 'Previous block'],
  'ex.block.next': ['下一个区块', 'Next block'],
  'ex.tx.heading': ['交易', 'Transaction'],
  'ex.tx.id': ['交易编号', 'Transaction id'],
  'ex.tx.pending': ['待处理（尚未提交）', 'pending (not committed yet)'],
  'ex.tx.in_block': ['所在区块', 'In block'],
  'ex.tx.position': ['位置', 'Position'],
  'ex.tx.body': ['交易内容', 'Body'],
  'ex.cred.heading': ['凭证 {id}', 'Credential {id}'],
  'ex.cred.digest': ['卡面摘要', 'Card digest'],
  'ex.cred.key_version': ['密钥版本', 'Key version'],
  'ex.cred.set_by': ['状态设置方', 'Status set by'],
  'ex.cred.created': ['登记高度', 'Recorded at height'],
  'ex.cred.updated': ['最近更新高度', 'Last updated at height'],
  'ex.history.heading': ['历史记录（从早到晚）', 'History (oldest first)'],
  'ex.issuer.heading': ['发证单位 {id}', 'Issuer {id}'],
  'ex.issuer.grants': ['可发凭证', 'May issue'],
  'ex.issuer.delegate': ['可设下级单位', 'May register unions below it'],
  'ex.issuer.keys': ['密钥', 'Keys'],
  'ex.issuer.key_version': ['版本', 'Version'],
  'ex.issuer.public_key': ['公钥', 'Public key'],
  'ex.issuer.from': ['启用高度', 'From height'],
  'ex.issuer.to': ['停用高度', 'To height'],
  'ex.issuer.current': ['当前', 'current'],
  'ex.issuer.children': ['下级单位', 'Unions below it'],
  'ex.notfound': ['未找到：{what}', 'Not found: {what}'],
  // enums
  'type.MEMBER': ['会员卡', 'Member card'],
  'type.MODEL_WORKER': ['劳动模范', 'Model worker'],
  'level.LEVEL_UNSPECIFIED': ['—', '—'],
  'level.NATIONAL': ['全国级', 'National'],
  'level.PROVINCIAL': ['省级', 'Provincial'],
  'level.MUNICIPAL': ['市级', 'Municipal'],
  'level.DISTRICT': ['区级', 'District'],
  'level.ENTERPRISE': ['企业级', 'Enterprise'],
  'status.ACTIVE': ['有效', 'Active'],
  'status.SUSPENDED': ['已暂停', 'Suspended'],
  'status.REVOKED': ['已吊销', 'Revoked'],
  'status.ISSUER_ACTIVE': ['正常', 'Active'],
  'status.ISSUER_SUSPENDED': ['已暂停', 'Suspended'],
  'status.ISSUER_RETIRED': ['已撤销', 'Retired'],
  'action.register_issuer': ['登记发证单位', 'Register issuer'],
  'action.rotate_issuer_key': ['更换单位密钥', 'Rotate issuer key'],
  'action.set_issuer_status': ['设置单位状态', 'Set issuer status'],
  'action.issue_credential': ['发放凭证', 'Issue credential'],
  'action.set_credential_status': ['设置凭证状态', 'Set credential status'],
  'action.renew_credential': ['续期凭证', 'Renew credential'],
  'action.update_governance': ['更新治理委员会', 'Update governance'],
  'action.update_validator_set': ['更新验证节点', 'Update validators'],
  // gate
  'gate.heading': ['门禁核验', 'Gate check'],
  'gate.intro': ['扫描或上传会员卡上的二维码，系统按链上记录给出结论。卡片的签名在本页核验，只有凭证编号和卡面摘要发给节点，持卡人姓名和会员编号不会离开本页。',
    'Scan or upload the QR code of a card; the decision comes from the ledger. The card\'s signature is checked in this page and only its credential id and digest go to the node: the holder\'s name and member number never leave the page.'],
  'gate.camera.start': ['打开摄像头扫码', 'Scan with the camera'],
  'gate.camera.stop': ['关闭摄像头', 'Stop the camera'],
  'gate.camera.unavailable': ['此浏览器无法使用摄像头（需要 HTTPS 或本机地址），请上传照片。',
    'The camera is not available here (it needs HTTPS or localhost): upload a photo instead.'],
  'gate.upload.label': ['上传或拍摄二维码照片', 'Upload or take a photo of the QR code'],
  'gate.text.label': ['或粘贴卡片文本（LC1:…）', 'Or paste the card text (LC1:…)'],
  'gate.text.button': ['核验', 'Verify'],
  'gate.presentation.label': ['持卡人手机出示码（LP1:…，绑定卡需要）',
    'The code from the holder\'s phone (LP1:…, for a bound card)'],
  'gate.gate_id.label': ['本闸机编号（出示码须为此编号生成）',
    'This gate\'s id (the phone\'s code must name it)'],
  'gate.presentation.read': ['已读取手机出示码，请扫描卡片二维码。',
    'Phone code read: now scan the card.'],
  'gate.binding': ['手机绑定', 'Phone binding'],
  'gate.binding.BOUND': ['已绑定手机', 'Bound to the holder\'s phone'],
  'gate.binding.UNBOUND': ['未绑定手机', 'Not bound to a phone'],
  'gate.noqr': ['图片中没有找到二维码，请重拍，保持清晰、对正。',
    'No QR code found in the picture: take it again, sharp and straight.'],
  'gate.checking': ['核验中…', 'Checking…'],
  'gate.valid': ['通过', 'VALID'],
  'gate.refused': ['拒绝', 'REFUSED'],
  'gate.holder': ['持卡人', 'Holder'],
  'gate.member_no': ['会员编号', 'Member no.'],
  'gate.credential': ['凭证编号', 'Credential id'],
  'gate.at_height': ['依据链上高度 {h} 的记录', 'Decided on the ledger at height {h}'],
  'gate.again': ['核验下一张', 'Check the next card'],
  'reason.VALID': ['凭证有效', 'Valid card'],
  'reason.MALFORMED': ['不是有效的卡片', 'Not a valid card'],
  'reason.WRONG_CHAIN': ['不是本链的卡片', 'A card of another chain'],
  'reason.UNKNOWN_ISSUER': ['发证单位不在链上', 'Issuer not on the ledger'],
  'reason.BAD_SIGNATURE': ['签名无效', 'Bad signature'],
  'reason.NOT_ON_LEDGER': ['链上没有此凭证', 'Credential not on the ledger'],
  'reason.DIGEST_MISMATCH': ['卡片与登记不符（被改动或已被新卡替换）',
    'Card differs from the record (altered, or replaced by a renewal)'],
  'reason.RECORD_MISMATCH': ['卡面信息与链上记录不符', 'Card fields differ from the record'],
  'reason.OUT_OF_SCOPE': ['超出发证单位权限', 'Outside the issuer\'s grants'],
  'reason.REVOKED': ['凭证已吊销', 'Credential revoked'],
  'reason.SUSPENDED': ['凭证已暂停', 'Credential suspended'],
  'reason.ISSUER_SUSPENDED': ['发证单位已暂停或撤销', 'Issuer suspended or retired'],
  'reason.NOT_YET_VALID': ['尚未生效', 'Not yet valid'],
  'reason.EXPIRED': ['已过期', 'Expired'],
  'reason.UNSAFE_TEXT': ['卡面文字含不允许的字符（可能被伪造）',
    'Card text has characters a gate must not show (possibly forged)'],
  'reason.PRESENTATION_MISSING': ['此卡已绑定手机，请同时出示手机出示码',
    'Bound card: show the code from your phone too'],
  'reason.PRESENTATION_EXPIRED': ['出示码已过期或不是为本闸机生成，请刷新',
    'Phone code expired or made for another gate - refresh it'],
  'reason.BAD_HOLDER_SIGNATURE': ['出示码与此卡不符（可能是他人手机）',
    'Phone code does not match this card'],
  'reason.BINDING_REQUIRED': ['此通道需绑定手机的卡', 'This lane needs a card bound to a phone'],
  // holder page
  'ho.heading': ['持卡人出示码', 'Holder: show your card'],
  'ho.intro': ['绑定手机的卡过闸时，除卡片二维码外还需出示本页生成的出示码。设备密钥只在本页内使用，不会发送给任何节点。',
    'A card bound to your phone passes a gate with this page\'s code beside the card\'s QR code. The device key stays in this page; nothing is sent to any node.'],
  'ho.card': ['卡片文本（LC1:…）', 'The card text (LC1:…)'],
  'ho.key': ['设备密钥文件', 'The device key file'],
  'ho.gate': ['闸机编号', 'The gate\'s id'],
  'ho.nonce': ['闸机挑战码（十六进制；留空则按当前时间）', 'The gate\'s challenge (hex; empty: the current time)'],
  'ho.make': ['生成出示码', 'Make the code'],
  'ho.qr': ['出示码二维码', 'The presentation\'s QR code'],
  'ho.unbound': ['此卡未绑定手机，过闸无需出示码。', 'This card is not bound to a phone: gates need no code.'],
  'ho.other_key': ['此卡绑定的是另一部手机的密钥。', 'This card is bound to another device key.'],
  'ho.made_slot': ['出示码约一分钟内有效，过期请重新生成。', 'The code is good for about a minute; make a new one after.'],
  'ho.made_nonce': ['出示码只对该挑战码有效。', 'The code answers this challenge only.'],
  // issuer console
  'is.heading': ['发证控制台', 'Issuer console'],
  'is.key.heading': ['1. 载入单位密钥', '1. Load the issuer key'],
  'is.key.note': ['密钥文件只在本页面内使用：签名在浏览器中完成，密钥从不发送给节点。',
    'The key file stays in this page: signing happens in the browser, the key is never sent to the node.'],
  'is.key.issuer': ['单位编号', 'Issuer id'],
  'is.key.file': ['密钥文件（laurel keygen 生成的 .key）', 'Key file (.key from laurel keygen)'],
  'is.key.load': ['载入', 'Load'],
  'is.key.loaded': ['已载入 {issuer} 的密钥（版本 {v}）：{pub}', 'Key of {issuer} loaded (version {v}): {pub}'],
  'is.key.not_issuer_key': ['此密钥不是 {issuer} 的当前密钥', 'This key is not the current key of {issuer}'],
  'is.key.forget': ['清除密钥', 'Forget the key'],
  'is.key.passphrase': ['口令（仅加密的密钥文件需要）', 'Passphrase (encrypted key files only)'],
  'is.key.opening': ['正在用口令解密密钥文件…', 'Decrypting the key file with the passphrase…'],
  'is.key.need_passphrase': ['此密钥文件已加密：请输入它的口令', 'This key file is encrypted: enter its passphrase'],
  'is.key.wrong_passphrase': ['口令不对（或密钥文件已损坏）：未载入密钥', 'Wrong passphrase (or a damaged key file): no key loaded'],
  'is.key.bad_file': ['这不是可用的 laurel 密钥文件：{msg}', 'Not a usable laurel key file: {msg}'],
  'is.issue.heading': ['2. 发放新卡', '2. Issue a card'],
  'is.issue.holder': ['持卡人姓名', 'Holder name'],
  'is.issue.member_no': ['会员编号', 'Member number'],
  'is.issue.id': ['凭证编号（留空自动生成）', 'Credential id (empty: generated)'],
  'is.issue.submit': ['签名并发放', 'Sign and issue'],
  'is.issue.done': ['已发放 {id}，交易 {tx} 已在高度 {h} 提交。', 'Issued {id}: transaction {tx} committed at height {h}.'],
  'is.print.heading': ['可打印卡片', 'Printable card'],
  'is.print.button': ['打印卡片', 'Print the card'],
  'is.print.copy': ['复制卡片文本', 'Copy the card text'],
  'is.print.text': ['卡片文本', 'Card text'],
  'is.card.title': ['工会凭证', 'Union credential'],
  'is.cards.heading': ['3. 本单位的卡', '3. This issuer\'s cards'],
  'is.cards.refresh': ['刷新', 'Refresh'],
  'is.cards.empty': ['还没有卡。', 'No cards yet.'],
  'is.manage.heading': ['4. 管理凭证', '4. Manage a credential'],
  'is.manage.id': ['凭证编号', 'Credential id'],
  'is.manage.reason': ['原因（会记录在链上）', 'Reason (recorded on the ledger)'],
  'is.suspend': ['暂停', 'Suspend'],
  'is.reinstate': ['恢复', 'Reinstate'],
  'is.revoke': ['吊销', 'Revoke'],
  'is.revoke.confirm': ['吊销不可撤回，确定吊销 {id}？', 'Revoking cannot be undone: revoke {id}?'],
  'is.renew.heading': ['续期（签发新卡，旧卡失效）', 'Renew (a new card; the old one stops verifying)'],
  'is.renew.submit': ['签名并续期', 'Sign and renew'],
  'is.status.done': ['{id}：{action} 已在高度 {h} 提交（结果 {r}）。', '{id}: {action} committed at height {h} (result {r}).'],
  'is.need_key': ['请先载入单位密钥。', 'Load the issuer key first.'],
  'is.bad_dates': ['有效期至必须晚于生效日期。', '"Valid until" must be after "valid from".'],
  'is.required': ['请填写：{what}', 'Please fill in: {what}'],
  'is.submitting': ['签名并提交中…', 'Signing and submitting…'],
};

const KEY = 'laurel.lang';

export function currentLang() {
  const saved = globalThis.localStorage?.getItem(KEY);
  if (saved === 'zh' || saved === 'en') return saved;
  return (navigator.language || 'zh').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function t(key, vars = {}) {
  const entry = TEXTS[key];
  let s = entry ? entry[currentLang() === 'zh' ? 0 : 1] : key;
  for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

// A translated enum value (type.MEMBER, reason.REVOKED, ...) or the raw value when unknown.
export function tEnum(prefix, value) {
  const key = `${prefix}.${value}`;
  return TEXTS[key] ? t(key) : String(value ?? '');
}

export function applyTexts(root = document) {
  document.documentElement.lang = currentLang() === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  }
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

export function setLang(lang) {
  globalThis.localStorage?.setItem(KEY, lang);
}

export const ALL_KEYS = Object.keys(TEXTS);
export const TEXT_TABLE = TEXTS;
