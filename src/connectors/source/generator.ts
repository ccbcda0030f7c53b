/**
 * The built-in source: a seeded generator of realistic dirty rows like the seed's Pinterest
 * emulation data set. Deterministic from (seed, rows): row i is a pure function of them, cheap to
 * compute (its own PRNG seeded from (seed, i)), with rows 0..N-1 ordered in category blocks.
 * pin.index == geo.ind == user.ind == row number.
 */
import type { RawGeo, RawPin, RawUser } from '../../core/records.js';
import type { Posting, Source } from './types.js';
import { deriveSeed, Rand } from '../../core/prng.js';
import { COUNTRIES, FIRST_NAMES, LAST_NAMES } from './generator-words-people.js';
import {
  ADJECTIVES,
  CATEGORIES,
  CATEGORY_WEIGHTS,
  DESCRIPTION_TEMPLATES,
  ODD_FOLLOWER_COUNTS,
  PLACEHOLDERS,
  POSTER_SUFFIXES,
  TITLE_TEMPLATES,
  VOCABULARY,
  type Category,
} from './generator-words-pins.js';

export const DEFAULT_ROWS = 11_000;

/** Shares of dirty values (per row). The story share carries every placeholder at once. */
export const DIRT = {
  story: 0.03, // fully broken "story" pin (like row 7528 of the data contract)
  descriptionMissing: 0.015, // "No description available"
  titleMissing: 0.005,
  userInfoError: 0.015, // poster_name and follower_count "User Info Error"
  imageSrcError: 0.005,
  noTags: 0.01,
  oddFollowers: 0.004, // a follower_count that matches no rule
  blankText: 0.004, // whitespace-only title/description/country/first_name
  noPosterName: 0.002, // optional field absent
  oddMedia: 0.002, // is_image_or_video that is none of image/video/story
  emptyTags: 0.01, // tag list with empty items ("a,,b")
};

const GEO_FROM = Date.UTC(2018, 0, 1);
const GEO_TO = Date.UTC(2023, 0, 1) - 1000;
const JOIN_FROM = Date.UTC(2015, 0, 1);
const JOIN_TO = Date.UTC(2021, 0, 1) - 1000;

/** Start row of each category block for a data set of `rows` rows (cumulative by weight). */
export function categoryBlocks(rows: number): { category: Category; start: number }[] {
  const total = CATEGORIES.reduce((s, c) => s + CATEGORY_WEIGHTS[c], 0);
  let acc = 0;
  return CATEGORIES.map((category) => {
    const start = Math.floor((acc / total) * rows);
    acc += CATEGORY_WEIGHTS[category];
    return { category, start };
  });
}

const blockCache = new Map<number, { category: Category; start: number }[]>();

/** The category of row i in a data set of `rows` rows (rows beyond N wrap around). */
export function categoryOf(i: number, rows: number): Category {
  let blocks = blockCache.get(rows);
  if (!blocks) {
    if (blockCache.size > 16) blockCache.clear();
    blocks = categoryBlocks(rows);
    blockCache.set(rows, blocks);
  }
  const pos = i % rows;
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (blocks[mid]!.start <= pos) lo = mid;
    else hi = mid - 1;
  }
  return blocks[lo]!.category;
}

function sqlDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function fill(template: string, r: Rand, subject: string): string {
  return template
    .replace('{n}', String(r.int(3, 40)))
    .replace('{adj}', r.pick(ADJECTIVES))
    .replace('{adj2}', r.pick(ADJECTIVES).toLowerCase())
    .replace('{subject}', subject)
    .replace('{year}', String(r.int(2018, 2022)));
}

/** "940", "12k", "124k", "1.5k", "6M": a log-uniform follower count in the data set's spelling. */
function followerCount(r: Rand): string {
  const n = Math.round(10 ** (r.next() * 7.3));
  if (n < 1000) return String(n);
  if (n < 1_000_000) return r.chance(0.1) && n < 10_000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n / 1000)}k`;
  return r.chance(0.2) ? `${(n / 1e6).toFixed(1)}M` : `${Math.round(n / 1e6)}M`;
}

function imageSrc(r: Rand, video: boolean): string {
  const h = r.hex(32);
  const base = video ? 'https://i.pinimg.com/videos/thumbnails/originals' : 'https://i.pinimg.com/originals';
  return `${base}/${h.slice(0, 2)}/${h.slice(2, 4)}/${h.slice(4, 6)}/${h}.${video || r.chance(0.8) ? 'jpg' : 'png'}`;
}

function posterName(r: Rand, vocabulary: (typeof VOCABULARY)[Category]): string {
  const u = r.next();
  if (u < 0.45) return `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`;
  if (u < 0.75) return `${r.pick(vocabulary.tags)} ${r.pick(POSTER_SUFFIXES)}`;
  return `${r.pick(FIRST_NAMES)} | ${r.pick(vocabulary.tags)}`;
}

function makePin(r: Rand, index: number, category: Category): RawPin {
  const vocabulary = VOCABULARY[category];
  const subject = r.pick(vocabulary.subjects);
  const media = r.next();
  const isVideo = media < 0.1;
  const tags = new Set<string>();
  const nTags = r.int(3, 8);
  for (let k = 0; k < nTags; k++) tags.add(r.pick(vocabulary.tags));
  const pin: RawPin = {
    index,
    unique_id: r.uuid(),
    title: fill(r.pick(TITLE_TEMPLATES), r, subject),
    description: fill(r.pick(DESCRIPTION_TEMPLATES), r, subject.toLowerCase()),
    poster_name: posterName(r, vocabulary),
    follower_count: followerCount(r),
    tag_list: [...tags].join(','),
    is_image_or_video: isVideo ? 'video' : 'image',
    image_src: imageSrc(r, isVideo),
    downloaded: r.chance(0.97) ? 1 : 0,
    save_location: `Local save in /data/${category}`,
    category,
  };
  dirty(pin, r);
  return pin;
}

/** Apply the dirty values of the original data set, each in its own small share of rows. */
function dirty(pin: RawPin, r: Rand): void {
  const u = r.next();
  if (u < DIRT.story) {
    Object.assign(pin, {
      title: PLACEHOLDERS.title,
      description: PLACEHOLDERS.description,
      poster_name: PLACEHOLDERS.userInfo,
      follower_count: PLACEHOLDERS.userInfo,
      tag_list: PLACEHOLDERS.tagList,
      is_image_or_video: PLACEHOLDERS.story,
      image_src: PLACEHOLDERS.imageSrc,
      downloaded: 0,
    });
    return;
  }
  if (r.chance(DIRT.descriptionMissing)) pin.description = PLACEHOLDERS.descriptionShort;
  if (r.chance(DIRT.titleMissing)) pin.title = PLACEHOLDERS.title;
  if (r.chance(DIRT.userInfoError)) {
    pin.poster_name = PLACEHOLDERS.userInfo;
    pin.follower_count = PLACEHOLDERS.userInfo;
  }
  if (r.chance(DIRT.imageSrcError)) {
    pin.image_src = PLACEHOLDERS.imageSrc;
    pin.downloaded = 0;
  }
  if (r.chance(DIRT.noTags)) pin.tag_list = PLACEHOLDERS.tagList;
  else if (r.chance(DIRT.emptyTags)) pin.tag_list = pin.tag_list.replace(',', ',,') + ', ';
  if (r.chance(DIRT.oddFollowers)) pin.follower_count = r.pick(ODD_FOLLOWER_COUNTS);
  if (r.chance(DIRT.blankText)) pin[r.chance(0.5) ? 'title' : 'description'] = r.pick(['', ' ', '   ', '\t']);
  if (r.chance(DIRT.noPosterName)) delete pin.poster_name;
  if (r.chance(DIRT.oddMedia)) pin.is_image_or_video = r.pick(['gif', 'carousel', 'Image']);
}

function makeGeo(r: Rand, ind: number): RawGeo {
  const digits = r.int(4, 6);
  const f = 10 ** digits;
  return {
    ind,
    timestamp: sqlDateTime(GEO_FROM + Math.floor((r.next() * (GEO_TO - GEO_FROM)) / 1000) * 1000),
    latitude: Math.round((r.next() * 180 - 90) * f) / f,
    longitude: Math.round((r.next() * 360 - 180) * f) / f,
    country: r.chance(DIRT.blankText) ? ' ' : r.pick(COUNTRIES),
  };
}

function makeUser(r: Rand, ind: number): RawUser {
  // Pinterest skews young: about 60% are 18–35.
  const age = r.chance(0.6) ? r.int(18, 35) : r.int(36, 70);
  return {
    ind,
    first_name: r.chance(DIRT.blankText) ? '' : r.pick(FIRST_NAMES),
    last_name: r.pick(LAST_NAMES),
    age,
    date_joined: sqlDateTime(JOIN_FROM + Math.floor((r.next() * (JOIN_TO - JOIN_FROM)) / 1000) * 1000),
  };
}

/**
 * The posting number i of the data set (seed, rows). Fast and pure; i may exceed rows (the
 * benchmark generates millions): the category follows row i mod rows, the index stays i.
 */
export function generatePosting(seed: number, i: number, rows: number = DEFAULT_ROWS): Posting {
  const category = categoryOf(i, rows);
  return {
    pin: makePin(Rand.of(deriveSeed(seed, i, 1)), i, category),
    geo: makeGeo(Rand.of(deriveSeed(seed, i, 2)), i),
    user: makeUser(Rand.of(deriveSeed(seed, i, 3)), i),
  };
}

export interface GeneratorOptions {
  seed?: number;
  rows?: number;
}

export class GeneratorSource implements Source {
  readonly kind = 'generator' as const;
  readonly seed: number;
  readonly rows: number;

  constructor(opts: GeneratorOptions = {}) {
    this.seed = opts.seed ?? 1;
    this.rows = opts.rows ?? DEFAULT_ROWS;
    if (!Number.isSafeInteger(this.rows) || this.rows < 1) throw new RangeError(`rows must be a positive integer, got ${this.rows}`);
  }

  async connect(): Promise<void> {}

  /** always healthy: rows are computed */
  async health(): Promise<void> {}

  async size(): Promise<number> {
    return this.rows;
  }

  async row(i: number): Promise<Posting> {
    return this.rowSync(i);
  }

  rowSync(i: number): Posting {
    if (!Number.isSafeInteger(i) || i < 0 || i >= this.rows) throw new RangeError(`row must be in [0, ${this.rows}), got ${i}`);
    return generatePosting(this.seed, i, this.rows);
  }

  async close(): Promise<void> {}
}
