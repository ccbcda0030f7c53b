/** Word lists for the generator's pins: per category subjects and tags, plus shared phrasing. */

export const CATEGORIES = [
  'art',
  'beauty',
  'christmas',
  'diy-and-crafts',
  'education',
  'event-planning',
  'finance',
  'home-decor',
  'mens-fashion',
  'quotes',
  'tattoos',
  'travel',
  'vehicles',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Relative size of each category's block of rows (like the original data set, roughly even). */
export const CATEGORY_WEIGHTS: Record<Category, number> = {
  art: 9,
  beauty: 8,
  christmas: 9,
  'diy-and-crafts': 8,
  education: 8,
  'event-planning': 7,
  finance: 8,
  'home-decor': 8,
  'mens-fashion': 8,
  quotes: 7,
  tattoos: 8,
  travel: 8,
  vehicles: 7,
};

interface Vocabulary {
  subjects: readonly string[];
  tags: readonly string[];
}

export const VOCABULARY: Record<Category, Vocabulary> = {
  art: {
    subjects: [
      'Watercolor Painting',
      'Abstract Art',
      'Portrait Drawing',
      'Acrylic Pour',
      'Pencil Sketch',
      'Canvas Art',
      'Mural',
      'Illustration',
      'Charcoal Study',
      'Ink Drawing',
      'Oil Painting',
      'Landscape Painting',
    ],
    tags: ['Art Inspo', 'Painting', 'Watercolor', 'Drawing Ideas', 'Sketchbook', 'Abstract', 'Acrylic', 'Art Journal', 'Illustration', 'Creative'],
  },
  beauty: {
    subjects: [
      'Makeup Look',
      'Skincare Routine',
      'Nail Art',
      'Hairstyle',
      'Eyeshadow Palette',
      'Braids',
      'Lipstick Shade',
      'Face Mask',
      'Curly Hair Routine',
      'Winged Eyeliner',
    ],
    tags: ['Makeup', 'Skincare', 'Nails', 'Hair Ideas', 'Beauty Tips', 'Eye Makeup', 'Natural Beauty', 'Glow', 'Self Care', 'Hairstyles'],
  },
  christmas: {
    subjects: [
      'Christmas Tree',
      'Holiday Wreath',
      'Advent Calendar',
      'Christmas Cookies',
      'Gift Wrapping',
      'Stocking',
      'Table Setting',
      'Ornament',
      'Gingerbread House',
      'Mantel Decor',
    ],
    tags: ['Christmas Decor', 'Holiday', 'Xmas', 'Christmas Crafts', 'Festive', 'Winter', 'Gift Ideas', 'Ornaments', 'Christmas Tree', 'Cozy'],
  },
  'diy-and-crafts': {
    subjects: [
      'Macrame Wall Hanging',
      'Paper Flower',
      'Mason Jar Craft',
      'Crochet Blanket',
      'Candle',
      'Resin Coaster',
      'Felt Garland',
      'Wood Sign',
      'Embroidery Hoop',
      'Polymer Clay Earrings',
    ],
    tags: ['DIY', 'Crafts', 'Handmade', 'Craft Ideas', 'Upcycle', 'Crochet', 'Sewing', 'Easy Crafts', 'Kids Crafts', 'Home Made'],
  },
  education: {
    subjects: [
      'Classroom Activity',
      'Math Worksheet',
      'Reading Strategy',
      'Science Experiment',
      'Study Schedule',
      'Phonics Game',
      'Bulletin Board',
      'Lesson Plan',
      'Homeschool Routine',
      'Note Taking Method',
    ],
    tags: ['Teaching', 'Classroom', 'Homeschool', 'Study Tips', 'Kindergarten', 'Learning', 'Teacher Ideas', 'Math', 'Reading', 'STEM'],
  },
  'event-planning': {
    subjects: [
      'Wedding Checklist',
      'Birthday Party Theme',
      'Baby Shower',
      'Balloon Arch',
      'Table Centerpiece',
      'Party Favor',
      'Bridal Shower',
      'Dessert Table',
      'Invitation',
      'Backdrop',
    ],
    tags: ['Party Ideas', 'Wedding', 'Event Planning', 'Birthday', 'Decorations', 'Celebration', 'Baby Shower', 'Party Decor', 'Planner', 'Theme Party'],
  },
  finance: {
    subjects: [
      'Budget Plan',
      'Savings Challenge',
      'Debt Payoff Plan',
      'Side Hustle',
      'Investing Guide',
      'Money Saving Tip',
      'Emergency Fund',
      'Frugal Living Habit',
      'Retirement Plan',
      'Sinking Fund',
    ],
    tags: ['Budgeting', 'Money Tips', 'Saving Money', 'Personal Finance', 'Investing', 'Debt Free', 'Frugal', 'Financial Freedom', 'Side Hustle', 'Wealth'],
  },
  'home-decor': {
    subjects: [
      'Living Room',
      'Bedroom Makeover',
      'Gallery Wall',
      'Kitchen Design',
      'Boho Bathroom',
      'Entryway',
      'Reading Nook',
      'Farmhouse Shelf',
      'Small Apartment',
      'Plant Corner',
    ],
    tags: ['Home Decor', 'Interior Design', 'Living Room Ideas', 'Bedroom Decor', 'Farmhouse', 'Boho', 'Minimalist', 'Cozy Home', 'Apartment', 'Decor Ideas'],
  },
  'mens-fashion': {
    subjects: [
      'Casual Outfit',
      'Suit Style',
      'Streetwear Look',
      'Sneaker Rotation',
      'Watch Collection',
      'Beard Style',
      'Capsule Wardrobe',
      'Denim Jacket',
      'Smart Casual Look',
      'Haircut',
    ],
    tags: ['Mens Fashion', 'Mens Style', 'Outfits', 'Streetwear', 'Menswear', 'Casual Style', 'Suits', 'Grooming', 'Style Tips', 'Fashion'],
  },
  quotes: {
    subjects: [
      'Motivational Quote',
      'Love Quote',
      'Life Lesson',
      'Inspirational Saying',
      'Friendship Quote',
      'Positive Affirmation',
      'Funny Quote',
      'Self Love Quote',
      'Success Quote',
      'Mindset Quote',
    ],
    tags: ['Quotes', 'Inspiration', 'Motivation', 'Life Quotes', 'Positive Vibes', 'Words', 'Affirmations', 'Wisdom', 'Mindset', 'Self Love'],
  },
  tattoos: {
    subjects: [
      'Fine Line Tattoo',
      'Floral Tattoo',
      'Sleeve Tattoo',
      'Minimalist Tattoo',
      'Script Tattoo',
      'Geometric Tattoo',
      'Small Wrist Tattoo',
      'Snake Tattoo',
      'Moon Tattoo',
      'Matching Tattoo',
    ],
    tags: ['Tattoos', 'Tattoo Ideas', 'Ink', 'Tattoo Design', 'Fine Line', 'Small Tattoos', 'Body Art', 'Flower Tattoo', 'Minimalist', 'Sleeve'],
  },
  travel: {
    subjects: [
      'Road Trip',
      'Beach Getaway',
      'City Guide',
      'Packing List',
      'Hiking Trail',
      'Island Escape',
      'Weekend Itinerary',
      'Hidden Gem',
      'Budget Trip',
      'Mountain Village',
    ],
    tags: ['Travel', 'Wanderlust', 'Travel Tips', 'Bucket List', 'Adventure', 'Vacation', 'Destinations', 'Backpacking', 'Travel Guide', 'Explore'],
  },
  vehicles: {
    subjects: [
      'Classic Car',
      'Camper Van Build',
      'Sports Car',
      'Motorcycle',
      'Off Road Truck',
      'Vintage Bike',
      'Car Interior',
      'Muscle Car',
      'Electric Car',
      'Overland Rig',
    ],
    tags: ['Cars', 'Dream Cars', 'Classic Cars', 'Motorcycles', 'Vanlife', 'Trucks', 'Auto', 'Car Mods', 'Road Trip', 'Vehicles'],
  },
};

export const ADJECTIVES: readonly string[] = [
  'Easy',
  'Simple',
  'Beautiful',
  'Cute',
  'Modern',
  'Vintage',
  'Minimalist',
  'Cozy',
  'Creative',
  'Stunning',
  'Budget Friendly',
  'Aesthetic',
  'Classic',
  'Bold',
  'Elegant',
  'Quick',
  'Unique',
  'Trendy',
  'Timeless',
  'Colorful',
];

export const TITLE_TEMPLATES: readonly string[] = [
  '{n} {adj} {subject} Ideas',
  '{adj} {subject} for Beginners',
  'How to Make a {adj} {subject}',
  'The Best {subject} of {year}',
  '{subject} Inspiration',
  '{adj} {subject}',
  'My {adj} {subject}',
  '{n} {subject} Tips You Need to Know',
  'DIY {subject}',
  '{subject} Guide',
];

export const DESCRIPTION_TEMPLATES: readonly string[] = [
  'Looking for {adj} {subject} ideas? Here are {n} of our favourites to try this year.',
  'This {adj} {subject} is perfect if you want something {adj2} without spending a fortune.',
  'Step by step: everything you need to know about {subject}. Save it for later!',
  '{n} {adj} ways to get started with {subject}, with photos and tips.',
  'I love how this {subject} turned out. {adj} and {adj2}, and it took less than an hour.',
  'Discover {adj} {subject} inspiration and get ideas for your next project.',
];

export const POSTER_SUFFIXES: readonly string[] = ['Blog', 'Studio', 'Designs', 'Co.', 'Magazine', 'Ideas', 'Life', 'Daily', 'Journal', 'Club'];

/** follower counts that match no cleaning rule (data-quality issues) */
export const ODD_FOLLOWER_COUNTS: readonly string[] = ['1,234', 'N/A', '12.5 k', '-', 'about 3k', '1.2.3k', '∞'];

export const PLACEHOLDERS = {
  title: 'No Title Data Available',
  description: 'No description available Story format',
  descriptionShort: 'No description available',
  userInfo: 'User Info Error',
  tagList: 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e',
  story: 'multi-video(story page format)',
  imageSrc: 'Image src error.',
} as const;
