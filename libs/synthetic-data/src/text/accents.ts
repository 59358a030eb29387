// biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is 0x00-0x7F, controls included.
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** "José" -> "Jose", "Zoë" -> "Zoe". */
export function stripAccents(text: string): string {
  // Nearly every value is plain ASCII, and Unicode normalization is slow enough to show in profiles.
  return ASCII_ONLY.test(text) ? text : text.normalize('NFKD').replace(/\p{M}/gu, '');
}

export function hasAccents(text: string): boolean {
  return stripAccents(text) !== text;
}

const ACCENTED_VOWELS: Readonly<Record<string, readonly string[]>> = {
  a: ['á', 'à', 'ä', 'â'],
  e: ['é', 'è', 'ë', 'ê'],
  i: ['í', 'ï', 'î'],
  o: ['ó', 'ö', 'ô'],
  u: ['ú', 'ü', 'û'],
  n: ['ñ'],
  c: ['ç'],
};

/** Positions of letters that have an accented form, e.g. for "Zoe": 1 (o) and 2 (e). */
export function accentablePositions(text: string): number[] {
  const positions: number[] = [];
  [...text].forEach((letter, position) => {
    if (ACCENTED_VOWELS[letter.toLowerCase()] !== undefined) {
      positions.push(position);
    }
  });
  return positions;
}

/** Replaces the letter at `position` by its `variant`-th accented form, keeping its case. */
export function accentLetterAt(text: string, position: number, variant: number): string {
  const letters = [...text];
  const letter = letters[position] ?? '';
  const forms = ACCENTED_VOWELS[letter.toLowerCase()];
  if (forms === undefined || forms.length === 0) {
    return text;
  }
  const accented = forms[variant % forms.length] ?? letter;
  letters[position] = letter === letter.toUpperCase() ? accented.toUpperCase() : accented;
  return letters.join('');
}

/** How these names are usually written in the US when their owners keep the accent. */
export const ACCENTED_NAME_FORMS: Readonly<Record<string, string>> = {
  JOSE: 'José',
  MARIA: 'María',
  JESUS: 'Jesús',
  RAMON: 'Ramón',
  RUBEN: 'Rubén',
  RAUL: 'Raúl',
  ANDRES: 'Andrés',
  RENEE: 'Renée',
  ZOE: 'Zoë',
  CHLOE: 'Chloé',
  NOEL: 'Noël',
  ANDRE: 'André',
  JOEL: 'Joël',
  HECTOR: 'Héctor',
  SOFIA: 'Sofía',
  LUCIA: 'Lucía',
  INES: 'Inés',
  ANGEL: 'Ángel',
  OSCAR: 'Óscar',
  IVAN: 'Iván',
  ADRIAN: 'Adrián',
  JULIAN: 'Julián',
  MARTIN: 'Martín',
  SIMON: 'Simón',
  TOMAS: 'Tomás',
  NICOLAS: 'Nicolás',
  JOAQUIN: 'Joaquín',
  GERMAN: 'Germán',
  AGUSTIN: 'Agustín',
  GARCIA: 'García',
  RODRIGUEZ: 'Rodríguez',
  MARTINEZ: 'Martínez',
  HERNANDEZ: 'Hernández',
  LOPEZ: 'López',
  GONZALEZ: 'González',
  PEREZ: 'Pérez',
  SANCHEZ: 'Sánchez',
  RAMIREZ: 'Ramírez',
  GOMEZ: 'Gómez',
  DIAZ: 'Díaz',
  JIMENEZ: 'Jiménez',
  GUTIERREZ: 'Gutiérrez',
  ALVAREZ: 'Álvarez',
  FERNANDEZ: 'Fernández',
  VASQUEZ: 'Vásquez',
  DOMINGUEZ: 'Domínguez',
  SUAREZ: 'Suárez',
  MUNOZ: 'Muñoz',
  PENA: 'Peña',
  IBANEZ: 'Ibáñez',
  NUNEZ: 'Núñez',
  ORDONEZ: 'Ordóñez',
  CASTANEDA: 'Castañeda',
  MENDEZ: 'Méndez',
  VELAZQUEZ: 'Velázquez',
  BENITEZ: 'Benítez',
  CHAVEZ: 'Chávez',
};
