export { NicknameTable } from './nickname-table';
export { NICKNAMES_CSV_PATH, loadBundledNicknames } from './bundled';
