export interface MatchThresholds {
  // Jaro-Winkler on folded first names at or above which they count as the same name spelled
  // differently (Jon/John 0.93, Micheal/Michael 0.97) and below which they are different people
  // (Mary/Mark 0.88, Joan/John 0.87).
  firstNameSimilarity: number;
  // Jaro-Winkler on folded last names at or above which they are the same surname with a typo
  // (Smith/Smtih 0.95, Smith/Smyth 0.89).
  lastNameSimilarity: number;
  // How much agreeing evidence besides the name a fuzzy or nickname match needs: the noisy-OR of the
  // corroborating fields' weights (see score.ts) and the provider's own confidence. 0.3 is one personal
  // field (birth date 0.5, company 0.35, street 0.35) or two place fields (postcode 0.2 + title 0.15);
  // a title or a city alone (0.15) is what a namesake shares by chance.
  minCorroboration: number;
  // What a name with one typing slip (Pma/Pam, Cxo/Cox) needs when no e-mail or phone is shared: an
  // equal birth date and this much corroboration in all (birth date 0.5 + a street, an employer or a
  // postcode and a city reach it; a birth date alone does not: twins share it).
  minTypoCorroboration: number;
  // Two acceptable candidates whose scores differ by less than this are too close to call.
  ambiguityMargin: number;
}

export const DEFAULT_THRESHOLDS: Readonly<MatchThresholds> = Object.freeze({
  firstNameSimilarity: 0.9,
  lastNameSimilarity: 0.88,
  minCorroboration: 0.3,
  minTypoCorroboration: 0.6,
  ambiguityMargin: 0.05,
});
