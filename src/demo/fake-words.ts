/**
 * Word lists for the demo data (kept apart from the generator so it stays readable).
 * Names include apostrophes and hyphens on purpose: they exercise SQL quoting.
 */
export const FIRST_NAMES = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Mateo', 'Sophia', 'Lucas', 'Isabella', 'Ethan',
  'Mia', 'Amelia', 'James', 'Harper', 'Benjamin', 'Evelyn', 'Elijah', 'Aisha', 'Hiroshi', 'Priya',
  'Chloé', 'Sean', 'Fatima', 'Diego', 'Ingrid', 'Kwame', 'Mei', 'Oliver', 'Zoe', 'Rafael',
  'Hannah', 'Yusuf', 'Grace', 'Mohammed', 'Elena', 'Jonas', 'Lena', 'Arjun', 'Nora', 'Samuel',
] as const;

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Garcia', 'Martinez', 'Brown', 'Nguyen', "O'Brien", 'Kowalski', 'Müller', 'Rossi',
  'Dubois', 'Tanaka', 'Patel', 'Okafor', 'Andersson', 'Kim', 'Lopez', 'Wilson', 'Chen', 'Ivanova',
  'Schmidt', 'Murphy', 'Haddad', 'Costa', 'Novak', 'Fischer', 'Silva', 'Jensen', 'Rahman', 'Taylor',
  'Walker', 'Van der Berg', 'Moreau', 'Singh', 'Cohen', 'Morales', 'Larsen', 'Campbell', 'Ito', 'Smith-Jones',
] as const;

export const STREETS = [
  'Maple Street', 'Oak Avenue', 'Pine Road', 'Cedar Lane', 'Elm Street', 'Washington Boulevard',
  'Lakeview Drive', 'Sunset Boulevard', 'Hillcrest Road', 'Park Avenue', 'River Road', 'Church Street',
  'Mill Lane', 'Highland Avenue', 'Franklin Street', 'Willow Court',
] as const;

export const CITIES = [
  'Springfield, IL 62704', 'Austin, TX 78701', 'Portland, OR 97205', 'Denver, CO 80202',
  'Boston, MA 02108', 'Seattle, WA 98101', 'Chicago, IL 60601', 'Brooklyn, NY 11201',
  'San Diego, CA 92101', 'Madison, WI 53703', 'Raleigh, NC 27601', 'Tucson, AZ 85701',
] as const;

/** Placeholders: {name} {email} {phone} {card} {last4}. */
export const TICKET_TEMPLATES = [
  { subject: 'Card declined', body: 'Hi, my card ending {last4} was declined twice today. Can you check? {name}' },
  { subject: 'Wrong charge', body: 'I was charged twice for one order. Please refund to card {card}. Thanks, {name}' },
  { subject: 'Change of email', body: 'Please send receipts to {email} from now on.' },
  { subject: 'Call me back', body: 'Could someone call me at {phone}? It is about my last payment.' },
  { subject: 'Refund status', body: 'Any news on my refund? You can reach me on {phone} or {email}.' },
  { subject: 'Account access', body: 'I cannot log in since the update. My email is {email}.' },
  { subject: 'Delivery question', body: 'When will my order arrive? It has been two weeks.' },
  { subject: 'Invoice needed', body: 'Please send an invoice with my company address for the last purchase.' },
  { subject: 'Update card', body: 'My old card expired, the new one is {card}. Please use it for the subscription.' },
  { subject: 'Thanks!', body: 'Great service, the issue is solved. Best, {name}' },
] as const;
