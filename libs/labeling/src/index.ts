export type { FieldLabel, FieldStatus } from './label-fields';
export { labelField, labelFields } from './label-fields';
