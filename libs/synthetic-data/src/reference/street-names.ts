export const STREET_NAMES: readonly string[] = [
  'Main', 'Oak', 'Maple', 'Cedar', 'Pine', 'Elm', 'Washington', 'Lake', 'Hill', 'Park', 'Sunset', 'Lincoln',
  'Jackson', 'Highland', 'Church', 'Spring', 'River', 'Center', 'Walnut', 'Chestnut', 'Ridge', 'Meadow',
  'Forest', 'Willow', 'Cherry', 'Franklin', 'Jefferson', 'Madison', 'Adams', 'Valley', 'Mill', 'Union',
  'Broad', 'Market', 'Water', 'Bridge', 'Spruce', 'Birch', 'Hickory', 'Magnolia', 'Dogwood', 'Laurel',
  'Sycamore', 'Poplar', 'Aspen', 'Juniper', 'Lakeview', 'Hillside', 'Fairview', 'Prospect', 'Pleasant',
  'Grove', 'Orchard', 'Meadowbrook', 'Brookside', 'Riverside', 'Country Club', 'College', 'University',
  'Harrison', 'Monroe', 'Hamilton', 'Grant', 'Cleveland', 'Kennedy', 'Roosevelt', 'Wilson', 'Taylor',
  'Johnson', 'King', 'Front', 'Second', 'Third', 'Fourth', 'Fifth', 'Sixth', 'Seventh', 'Eighth', 'Ninth',
  'Tenth', 'Canyon', 'Mesa', 'Desert', 'Ocean', 'Bay', 'Harbor', 'Shore', 'Summit', 'Mountain',
];

export const STREET_TYPES: readonly string[] = ['St', 'Ave', 'Rd', 'Blvd', 'Ln', 'Dr'];
