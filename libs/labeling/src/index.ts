export { labelField, labelFields } from './label-fields';
export type { FieldLabel, FieldStatus } from './label-fields';
