import type { Random } from '../random/random';
import { stripAccents } from '../text/accents';

// Names that sound the same and are spelt differently, as a clerk writes what they hear. Each group is one sound;
// any spelling of a group may stand for any other.
const FIRST_NAME_GROUPS: readonly (readonly string[])[] = [
  ['Catherine', 'Katherine', 'Kathryn', 'Catharine', 'Kathrine'],
  ['Cathy', 'Kathy', 'Kathie'],
  ['Steven', 'Stephen', 'Stevan'],
  ['Jeffrey', 'Geoffrey', 'Jeffery'],
  ['Sean', 'Shawn', 'Shaun'],
  ['Ann', 'Anne'],
  ['Sara', 'Sarah'],
  ['Rebecca', 'Rebekah'],
  ['Philip', 'Phillip', 'Filip'],
  ['Alan', 'Allan', 'Allen'],
  ['Brian', 'Bryan', 'Brien'],
  ['Carl', 'Karl'],
  ['Eric', 'Erik', 'Erick'],
  ['Mark', 'Marc'],
  ['Nicholas', 'Nikolas', 'Nicolas'],
  ['Teresa', 'Theresa'],
  ['Christopher', 'Kristopher', 'Cristopher'],
  ['Kristen', 'Kristin', 'Christen'],
  ['Christine', 'Kristine'],
  ['Christina', 'Kristina'],
  ['Carol', 'Carole', 'Karol'],
  ['Caroline', 'Carolyn', 'Karolyn'],
  ['Lindsay', 'Lindsey'],
  ['Ashley', 'Ashlee', 'Ashleigh'],
  ['Cheryl', 'Sheryl', 'Sherill'],
  ['Deborah', 'Debra', 'Debrah'],
  ['Tracy', 'Tracey'],
  ['Stacy', 'Stacey'],
  ['Kelly', 'Kelley'],
  ['Megan', 'Meghan', 'Meagan'],
  ['Allison', 'Alison', 'Alyson'],
  ['Frederick', 'Fredrick', 'Frederic'],
  ['Matthew', 'Mathew'],
  ['Claire', 'Clare', 'Clair'],
  ['Elizabeth', 'Elisabeth'],
  ['Louis', 'Lewis'],
  ['Gerald', 'Jerald'],
  ['Jerry', 'Gerry'],
  ['Jillian', 'Gillian'],
  ['Vicki', 'Vicky', 'Vickie'],
  ['Zachary', 'Zackary', 'Zachery'],
  ['Leigh', 'Lee'],
  ['Marian', 'Marion'],
  ['Duane', 'Dwayne', 'Dewayne'],
  ['Jon', 'John'],
  ['Jonathan', 'Jonathon'],
  ['Marcus', 'Markus'],
  ['Isabel', 'Isabelle', 'Isobel'],
  ['Katelyn', 'Caitlin', 'Kaitlyn'],
  ['Haley', 'Hailey', 'Hayley'],
  ['Erin', 'Aaron'],
  ['Shannon', 'Shanon'],
  ['Joann', 'Joanne', 'Jo Ann'],
  ['Dianne', 'Diane', 'Dian'],
  ['Lori', 'Laurie', 'Lorie'],
  ['Terry', 'Terri', 'Teri'],
  ['Randy', 'Randi'],
  ['Jaime', 'Jamie'],
  ['Cindy', 'Cyndi'],
  ['Sandy', 'Sandi'],
  ['Wendy', 'Wendi'],
  ['Bradley', 'Bradly'],
  ['Jacqueline', 'Jaqueline'],
  ['Rachael', 'Rachel'],
  ['Tiffany', 'Tiffani'],
  ['Kristy', 'Christy', 'Kristie'],
];

const SURNAME_GROUPS: readonly (readonly string[])[] = [
  ['Phillips', 'Philips'],
  ['Thompson', 'Thomson', 'Tompson'],
  ['Smith', 'Smyth'],
  ['Reid', 'Reed', 'Read'],
  ['Meyer', 'Myer', 'Meier', 'Maier'],
  ['Meyers', 'Myers'],
  ['Schmidt', 'Schmitt', 'Schmit'],
  ['Johnson', 'Jonson'],
  ['Peterson', 'Petersen'],
  ['Anderson', 'Andersen'],
  ['Hansen', 'Hanson'],
  ['Carlson', 'Carlsen'],
  ['Olson', 'Olsen'],
  ['Jensen', 'Jenson'],
  ['Nielsen', 'Nielson', 'Nelsen'],
  ['Neal', 'Neil', 'Neill'],
  ['Clark', 'Clarke'],
  ['Brown', 'Browne'],
  ['Gray', 'Grey'],
  ['Green', 'Greene'],
  ['Stewart', 'Stuart'],
  ['Matthews', 'Mathews'],
  ['Cook', 'Cooke'],
  ['Cohen', 'Cohn', 'Kohn'],
  ['Snyder', 'Snider', 'Schneider'],
  ['Fisher', 'Fischer'],
  ['Rogers', 'Rodgers'],
  ['Moore', 'More', 'Moor'],
  ['Lowe', 'Low'],
  ['Wolf', 'Wolfe', 'Woolf'],
  ['Hoffman', 'Hoffmann', 'Hofman'],
  ['Kaufman', 'Kauffman'],
  ['Bailey', 'Baily', 'Bayley'],
  ['Davis', 'Davies'],
  ['Kelly', 'Kelley'],
  ['Riley', 'Reilly'],
  ['Stevens', 'Stephens'],
  ['Stevenson', 'Stephenson'],
  ['Hayes', 'Hays'],
  ['Fry', 'Frye'],
  ['Carr', 'Karr'],
  ['Wright', 'Right'],
  ['Burke', 'Burk'],
  ['Harris', 'Harriss'],
  ['Allen', 'Allan', 'Alan'],
  ['Nichols', 'Nicholls', 'Nickels'],
  ['Jeffries', 'Jefferies'],
  ['Bell', 'Belle'],
  ['Hart', 'Harte'],
  ['Lee', 'Leigh'],
  ['Wood', 'Woode'],
  ['Hunt', 'Hundt'],
  ['Mcdonald', 'Macdonald'],
  ['Mckenzie', 'Mackenzie'],
  ['Mcintosh', 'Macintosh'],
  ['Rice', 'Reiss'],
  ['Fox', 'Foxx'],
  ['Gibson', 'Gibsen'],
  ['Lambert', 'Lambeth'],
  ['Graham', 'Graeme'],
  ['Sanders', 'Saunders'],
  ['Hernandez', 'Hernandes'],
  ['Gonzalez', 'Gonzales'],
  ['Rodriguez', 'Rodrigues'],
  ['Vasquez', 'Vazquez'],
  ['Alvarez', 'Alvares'],
];

function comparable(name: string): string {
  return stripAccents(name).toLowerCase();
}

function groupsByName(groups: readonly (readonly string[])[]): ReadonlyMap<string, readonly string[]> {
  const byName = new Map<string, readonly string[]>();
  for (const group of groups) {
    for (const name of group) {
      byName.set(comparable(name), group);
    }
  }
  return byName;
}

const FIRST_NAMES = groupsByName(FIRST_NAME_GROUPS);
const SURNAMES = groupsByName(SURNAME_GROUPS);

export type NamePart = 'first_name' | 'last_name';

function groupOf(part: NamePart, name: string): readonly string[] | undefined {
  return (part === 'first_name' ? FIRST_NAMES : SURNAMES).get(comparable(name));
}

/** Another spelling of the same-sounding name ("Catherine" -> "Kathryn"), in the name's case; undefined if none is known. */
export function phoneticSpelling(random: Random, part: NamePart, name: string): string | undefined {
  const others = (groupOf(part, name) ?? []).filter((spelling) => comparable(spelling) !== comparable(name));
  if (others.length === 0) {
    return undefined;
  }
  const spelling = random.pick(others);
  if (name === name.toUpperCase()) {
    return spelling.toUpperCase();
  }
  return name === name.toLowerCase() ? spelling.toLowerCase() : spelling;
}

/** Whether two names are spellings of one sound in the table (the same name included). */
export function soundAlike(part: NamePart, left: string, right: string): boolean {
  if (comparable(left) === comparable(right)) {
    return true;
  }
  const group = groupOf(part, left);
  return group !== undefined && group === groupOf(part, right);
}
