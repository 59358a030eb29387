export interface MatchThresholds {
  // Jaro-Winkler on folded first names at or above which they count as the same name spelled
  // differently (Jon/John 0.93, Micheal/Michael 0.97) and below which they are different people
  // (Mary/Mark 0.88, Joan/John 0.87).
  firstNameSimilarity: number;
  // Jaro-Winkler on folded last names at or above which they are the same surname with a typo
  // (Smith/Smtih 0.95, Smith/Smyth 0.89).
  lastNameSimilarity: number;
  // Fields besides the name (company, street, city+state, postcode, birth_date, title) that must be
  // equal before a fuzzy or nickname match is believed.
  minCorroboratingFields: number;
  // Two acceptable candidates whose scores differ by less than this are too close to call.
  ambiguityMargin: number;
}

export const DEFAULT_THRESHOLDS: Readonly<MatchThresholds> = Object.freeze({
  firstNameSimilarity: 0.9,
  lastNameSimilarity: 0.88,
  minCorroboratingFields: 1,
  ambiguityMargin: 0.05,
});
