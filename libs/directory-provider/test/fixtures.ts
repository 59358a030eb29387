import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A hand-made directory: namesakes, sound-alikes, nicknames, compound names, shared family identifiers.
export const DIRECTORY_CSV = [
  'id,first_name,last_name,email,phone,company,title,street,city,state,postcode,country,birth_date,updated_at',
  'p01,John,Smith,john.smith@acme.example,(415) 555-0134,"Acme, Inc.",Engineer,1 Market Street,San Francisco,California,94105,USA,1980-02-01,2024-05-01',
  'p02,Jane,Smith,smiths@home.example,+1 415 555 0199,Globex,"Head of ""Special"" Projects",7 Elm Street,Oakland,CA,94607,US,,2024-04-11',
  'p03,John,Smyth,jsmyth@initech.example,,Initech,,,Austin,TX,73301,US,,',
  'p04,Jon,Smithe,,,,,,Boston,MA,02134,US,,',
  'p05,Robert,Jones,rjones@initech.example,,Initech LLC,Manager,,Austin,TX,,US,1972-11-05,',
  'p06,Bert,Jones,,,,,,Denver,CO,,US,,',
  'p07,María,García-López,maria@correo.example,+34 91 123 45 67,,,"5 Calle Mayor, 2º",Madrid,,28013,España,1990-07-15,',
  'p08,José,Núñez,jose@umbrella.example,,Umbrella,,,Málaga,,29001,ES,,',
  'p09,Catherine,Wilson,cwilson@clinic.example,,,Nurse,,Cambridge,MA,02139,US,,',
  'p10,Michael,Miller,mm@hooli.example,+1 212 555 0101,Hooli,,"12 Broadway\nFloor 3",New York,NY,10004,US,1975-06-30,',
  'p11,Linda,Hernandez,linda.h@example.com,,,,,Phoenix,AZ,85001,US,1970-03-05,',
  'p12,Paula,Brown,pbrown@example.com,,,,9 Oak Road,Denver,CO,80202,US,,',
  'p13,William,Taylor,bill@taylor.example,+44 20 7946 0958,Taylor & Sons Ltd,,,London,,SW1A 1AA,United Kingdom,,',
  'p14,Elizabeth,Davis,liz.davis@example.com,,,,,Seattle,WA,98101,US,,',
  'p15,Margaret,Moore,peggy.moore@example.com,,,,,Miami,FL,33101,US,,',
  'p16,Richard,Clark,,+1 303 555 0123,,,,Denver,CO,,US,,',
  'p17,Anna,Lee,anna.lee@example.com,,,,,Portland,OR,97201,US,,',
  'p18,Thomas,White,,,,,,Atlanta,GA,30301,US,1966-01-20,',
  'p19,Sarah,Martin,sarah@martin.example,,,,,Dallas,TX,75201,US,,',
  'p20,Daniel,Thompson,dan.t@example.com,,,,,Houston,TX,77001,US,,',
  'p21,Karen,Walker,,,,,,Chicago,IL,60601,US,,',
  'p22,Joseph,Hall,joe.hall@example.com,,,,,San Diego,CA,92101,US,,',
  'p23,Nancy,Allen,,+1 512 555 0177,,,,Austin,TX,,US,,',
  'p24,Steven,Young,steve.young@example.com,,,,,Phoenix,AZ,,US,,',
  'p25,Betty,King,,,,,,Boston,MA,,US,,',
  'p26,Christopher,Wright,chris@wright.example,,,,,Denver,CO,,US,,',
  '',
].join('\r\n');

export function withTempFile<T>(name: string, content: string, use: (path: string) => Promise<T>): Promise<T> {
  const folder = mkdtempSync(join(tmpdir(), 'directory-provider-'));
  const path = join(folder, name);
  writeFileSync(path, content);
  return use(path).finally(() => rmSync(folder, { recursive: true, force: true }));
}
