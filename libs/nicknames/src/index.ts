export { loadBundledNicknames, NICKNAMES_CSV_PATH } from './bundled';
export { NicknameTable } from './nickname-table';
