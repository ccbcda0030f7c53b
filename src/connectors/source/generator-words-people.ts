/** Word lists for the generator: countries (Faker-style real names) and people's names. */

// prettier-ignore
export const COUNTRIES: readonly string[] = [
  'Afghanistan', 'Albania', 'Algeria', 'American Samoa', 'Andorra', 'Angola', 'Anguilla', 'Antarctica (the territory South of 60 deg S)',
  'Antigua and Barbuda', 'Argentina', 'Armenia', 'Aruba', 'Australia', 'Austria', 'Azerbaijan', 'Bahamas', 'Bahrain', 'Bangladesh',
  'Barbados', 'Belarus', 'Belgium', 'Belize', 'Benin', 'Bermuda', 'Bhutan', 'Bolivia', 'Bosnia and Herzegovina', 'Botswana',
  'Bouvet Island (Bouvetoya)', 'Brazil', 'British Indian Ocean Territory (Chagos Archipelago)', 'British Virgin Islands', 'Brunei Darussalam',
  'Bulgaria', 'Burkina Faso', 'Burundi', 'Cambodia', 'Cameroon', 'Canada', 'Cape Verde', 'Cayman Islands', 'Central African Republic',
  'Chad', 'Chile', 'China', 'Christmas Island', 'Cocos (Keeling) Islands', 'Colombia', 'Comoros', 'Congo', 'Cook Islands', 'Costa Rica',
  "Cote d'Ivoire", 'Croatia', 'Cuba', 'Cyprus', 'Czech Republic', 'Denmark', 'Djibouti', 'Dominica', 'Dominican Republic', 'Ecuador',
  'Egypt', 'El Salvador', 'Equatorial Guinea', 'Eritrea', 'Estonia', 'Ethiopia', 'Faroe Islands', 'Falkland Islands (Malvinas)', 'Fiji',
  'Finland', 'France', 'French Guiana', 'French Polynesia', 'French Southern Territories', 'Gabon', 'Gambia', 'Georgia', 'Germany', 'Ghana',
  'Gibraltar', 'Greece', 'Greenland', 'Grenada', 'Guadeloupe', 'Guam', 'Guatemala', 'Guernsey', 'Guinea', 'Guinea-Bissau', 'Guyana',
  'Haiti', 'Heard Island and McDonald Islands', 'Holy See (Vatican City State)', 'Honduras', 'Hong Kong', 'Hungary', 'Iceland', 'India',
  'Indonesia', 'Iran', 'Iraq', 'Ireland', 'Isle of Man', 'Israel', 'Italy', 'Jamaica', 'Japan', 'Jersey', 'Jordan', 'Kazakhstan', 'Kenya',
  'Kiribati', 'Korea', 'Kuwait', 'Kyrgyz Republic', "Lao People's Democratic Republic", 'Latvia', 'Lebanon', 'Lesotho', 'Liberia',
  'Libyan Arab Jamahiriya', 'Liechtenstein', 'Lithuania', 'Luxembourg', 'Macao', 'Madagascar', 'Malawi', 'Malaysia', 'Maldives', 'Mali',
  'Malta', 'Marshall Islands', 'Martinique', 'Mauritania', 'Mauritius', 'Mayotte', 'Mexico', 'Micronesia', 'Moldova', 'Monaco', 'Mongolia',
  'Montenegro', 'Montserrat', 'Morocco', 'Mozambique', 'Myanmar', 'Namibia', 'Nauru', 'Nepal', 'Netherlands', 'Netherlands Antilles',
  'New Caledonia', 'New Zealand', 'Nicaragua', 'Niger', 'Nigeria', 'Niue', 'Norfolk Island', 'North Macedonia', 'Northern Mariana Islands',
  'Norway', 'Oman', 'Pakistan', 'Palau', 'Palestinian Territory', 'Panama', 'Papua New Guinea', 'Paraguay', 'Peru', 'Philippines',
  'Pitcairn Islands', 'Poland', 'Portugal', 'Puerto Rico', 'Qatar', 'Reunion', 'Romania', 'Russian Federation', 'Rwanda', 'Saint Barthelemy',
  'Saint Helena', 'Saint Kitts and Nevis', 'Saint Lucia', 'Saint Martin', 'Saint Pierre and Miquelon', 'Saint Vincent and the Grenadines',
  'Samoa', 'San Marino', 'Sao Tome and Principe', 'Saudi Arabia', 'Senegal', 'Serbia', 'Seychelles', 'Sierra Leone', 'Singapore',
  'Slovakia (Slovak Republic)', 'Slovenia', 'Solomon Islands', 'Somalia', 'South Africa', 'South Georgia and the South Sandwich Islands',
  'Spain', 'Sri Lanka', 'Sudan', 'Suriname', 'Svalbard & Jan Mayen Islands', 'Swaziland', 'Sweden', 'Switzerland', 'Syrian Arab Republic',
  'Taiwan', 'Tajikistan', 'Tanzania', 'Thailand', 'Timor-Leste', 'Togo', 'Tokelau', 'Tonga', 'Trinidad and Tobago', 'Tunisia', 'Turkey',
  'Turkmenistan', 'Turks and Caicos Islands', 'Tuvalu', 'Uganda', 'Ukraine', 'United Arab Emirates', 'United Kingdom',
  'United States of America', 'United States Minor Outlying Islands', 'United States Virgin Islands', 'Uruguay', 'Uzbekistan', 'Vanuatu',
  'Venezuela', 'Vietnam', 'Wallis and Futuna', 'Western Sahara', 'Yemen', 'Zambia', 'Zimbabwe',
];

// prettier-ignore
export const FIRST_NAMES: readonly string[] = [
  'Abigail', 'Adam', 'Aaron', 'Alexander', 'Alexandra', 'Alicia', 'Amanda', 'Amy', 'Andrea', 'Andrew', 'Angela', 'Anna', 'Anthony',
  'Ashley', 'Benjamin', 'Brandon', 'Brian', 'Brittany', 'Caleb', 'Carlos', 'Catherine', 'Charles', 'Chelsea', 'Christian', 'Christina',
  'Christopher', 'Cindy', 'Daniel', 'Danielle', 'David', 'Deborah', 'Denise', 'Derek', 'Diana', 'Dylan', 'Elizabeth', 'Emily', 'Eric',
  'Erin', 'Ethan', 'Gabriel', 'Grace', 'Gregory', 'Hannah', 'Heather', 'Isaac', 'Jacob', 'James', 'Jasmine', 'Jason', 'Jennifer',
  'Jessica', 'John', 'Jonathan', 'Jordan', 'Joseph', 'Joshua', 'Julia', 'Justin', 'Karen', 'Katherine', 'Kayla', 'Kevin', 'Kimberly',
  'Kristen', 'Laura', 'Lauren', 'Linda', 'Lisa', 'Lucas', 'Madison', 'Maria', 'Mark', 'Matthew', 'Megan', 'Melissa', 'Michael',
  'Michelle', 'Natalie', 'Nathan', 'Nicholas', 'Nicole', 'Olivia', 'Patrick', 'Rachel', 'Rebecca', 'Richard', 'Robert', 'Ryan',
  'Samantha', 'Samuel', 'Sarah', 'Scott', 'Sean', 'Stephanie', 'Steven', 'Susan', 'Taylor', 'Thomas', 'Tiffany', 'Tyler', 'Victoria',
  'William', 'Zachary',
];

// prettier-ignore
export const LAST_NAMES: readonly string[] = [
  'Adams', 'Ali', 'Allen', 'Anderson', 'Bailey', 'Baker', 'Barnes', 'Bell', 'Bennett', 'Brooks', 'Brown', 'Butler', 'Campbell', 'Carter',
  'Castillo', 'Chavez', 'Clark', 'Collins', 'Cook', 'Cooper', 'Cox', 'Cruz', 'Davis', 'Diaz', 'Edwards', 'Evans', 'Fisher', 'Flores',
  'Foster', 'Garcia', 'Gomez', 'Gonzalez', 'Gray', 'Green', 'Gutierrez', 'Hall', 'Harris', 'Hernandez', 'Hill', 'Howard', 'Hughes',
  'Jackson', 'James', 'Jenkins', 'Johnson', 'Jones', 'Kelly', 'Kim', 'King', 'Lee', 'Lewis', 'Long', 'Lopez', 'Martin', 'Martinez',
  'Miller', 'Mitchell', 'Moore', 'Morales', 'Morgan', 'Morris', 'Murphy', 'Myers', 'Nelson', 'Nguyen', 'Ortiz', 'Parker', 'Patel',
  'Perez', 'Perry', 'Peterson', 'Phillips', 'Powell', 'Price', 'Ramirez', 'Reed', 'Reyes', 'Richardson', 'Rivera', 'Roberts',
  'Robinson', 'Rodriguez', 'Rogers', 'Ross', 'Russell', 'Sanchez', 'Sanders', 'Scott', 'Smith', 'Stewart', 'Sullivan', 'Taylor',
  'Thomas', 'Thompson', 'Torres', 'Turner', 'Walker', 'Ward', 'Watson', 'White', 'Williams', 'Wilson', 'Wood', 'Wright', 'Young',
];
