const WORD_SEPARATORS = new Set([' ', "'", '-']);

/**
 * "SMITH" -> "Smith", "MARY ANN" -> "Mary Ann", "O'BRIEN" -> "O'Brien", "SMITH-JONES" -> "Smith-Jones".
 * Deliberately simple: "MCDONALD" -> "Mcdonald".
 */
export function titleCase(text: string): string {
  let result = '';
  let startOfWord = true;
  for (const character of text.toLowerCase()) {
    result += startOfWord ? character.toUpperCase() : character;
    startOfWord = WORD_SEPARATORS.has(character);
  }
  return result;
}
