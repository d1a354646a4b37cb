package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.aigateway.api.Usage;
import dev.aigateway.core.tokens.TokenCounts;

/**
 * Reads a {@code usage} object from its bytes, as {@link ResponseReadout#parseUsage} reads its
 * tree, when it is written plainly: names without escapes, and every count the gateway reads (the
 * token counts and their {@code *_details}) either a non-negative integer of at most {@value
 * #MAX_DIGITS} digits or not a number at all. Anything else (a count written as {@code -1}, {@code
 * 2.0} or {@code 1e3}, an escaped name) is {@link #UNREAD}: Jackson reads it; so is a usage that
 * reports audio or image tokens other than 0 (rare: Jackson reads its details). As in Jackson's
 * tree, the last member of a name wins.
 *
 * <p>The bytes must be JSON {@link StrictJson} accepted: they are not checked again.
 */
final class UsageBytes {

  /** {@link #read} when the object is not read here. Compared by identity. */
  static final Usage UNREAD = new Usage(0, 0, 0, 0, 0);

  /** Digits of a count read here at most (Jackson reads up to 18 digits as a long). */
  static final int MAX_DIGITS = 18;

  /** A count not given, or given as something that is not a number. */
  private static final long ABSENT = -1;

  private static final long NOT_A_COUNT = -2;

  /** A details object not given, or given as something that is not an object. */
  private static final long NO_DETAILS = -3;

  /** A count, or a name, written in a form not read here. */
  private static final long NOT_READ = Long.MIN_VALUE;

  private static final byte[] PROMPT = name("prompt_tokens");
  private static final byte[] INPUT = name("input_tokens");
  private static final byte[] COMPLETION = name("completion_tokens");
  private static final byte[] OUTPUT = name("output_tokens");
  private static final byte[] TOTAL = name("total_tokens");
  private static final byte[] PROMPT_DETAILS = name("prompt_tokens_details");
  private static final byte[] INPUT_DETAILS = name("input_tokens_details");
  private static final byte[] COMPLETION_DETAILS = name("completion_tokens_details");
  private static final byte[] OUTPUT_DETAILS = name("output_tokens_details");
  private static final byte[] CACHED = name("cached_tokens");
  private static final byte[] CACHE_WRITE = name("cache_write_tokens");
  private static final byte[] REASONING = name("reasoning_tokens");
  private static final byte[] AUDIO = name("audio_tokens");
  private static final byte[] IMAGE = name("image_tokens");

  private final byte[] json;
  private final int to;

  /** Where the reading is: after the value read last. */
  private int at;

  /** The {@code cache_write_tokens} of the details object read last (as {@link #detail}). */
  private long written;

  private UsageBytes(byte[] json, int to) {
    this.json = json;
    this.to = to;
  }

  /**
   * The usage of the object whose opening brace is at {@code json[from]}, ending before {@code to}:
   * null when it holds no count (as {@link ResponseReadout#parseUsage}), or {@link #UNREAD}.
   */
  static Usage read(byte[] json, int from, int to) {
    Usage compact = asOpenAiWritesIt(json, from, to, null);
    return compact != null ? compact : readMembers(json, from, to);
  }

  /** As {@link #read}, member by member, whatever the object's layout. */
  static Usage readMembers(byte[] json, int from, int to) {
    return new UsageBytes(json, to).usage(from);
  }

  /**
   * The bytes around the counts of a usage object as OpenAI's chat completions write it, compact
   * and in this order: each piece, then a count, and after the last count the closing braces.
   */
  private static final String[] OPENAI_PIECES = {
    "{\"prompt_tokens\":",
    ",\"completion_tokens\":",
    ",\"total_tokens\":",
    ",\"prompt_tokens_details\":{\"cached_tokens\":",
    ",\"audio_tokens\":",
    "},\"completion_tokens_details\":{\"reasoning_tokens\":",
    ",\"audio_tokens\":",
    ",\"accepted_prediction_tokens\":",
    ",\"rejected_prediction_tokens\":",
    "}}"
  };

  /**
   * {@link #OPENAI_PIECES} one after another in one array, so that a read reaches one array instead
   * of ten; and where each piece ends in it.
   */
  private static final byte[] OPENAI_LAYOUT = ascii(String.join("", OPENAI_PIECES));

  private static final int[] OPENAI_PIECE_ENDS = pieceEnds(OPENAI_PIECES);

  private static int[] pieceEnds(String[] pieces) {
    int[] ends = new int[pieces.length];
    int end = 0;
    for (int k = 0; k < pieces.length; k++) {
      end += pieces[k].length();
      ends[k] = end;
    }
    return ends;
  }

  /**
   * The usage of the object at {@code json[from]} when it is laid out byte for byte as {@link
   * #OPENAI_PIECES} with counts of at most {@value #MAX_DIGITS} digits and no audio tokens: what
   * {@link #readMembers} reads from it, read in one pass over fixed pieces. Null for any other
   * layout (spaces, another order, other members, a count in another form such as {@code 07}, audio
   * tokens), which {@link #readMembers} then reads.
   *
   * <p>Such an object is JSON that {@link StrictJson} accepts, whatever the bytes around it; so a
   * caller that has not checked it yet may take it as checked. Where it ends is put in {@code
   * end[0]} when {@code end} is not null.
   */
  static Usage asOpenAiWritesIt(byte[] json, int from, int to, int[] end) {
    OpenAiCounts counts = new OpenAiCounts();
    byte[] layout = OPENAI_LAYOUT;
    int[] pieceEnds = OPENAI_PIECE_ENDS;
    int i = from;
    int pieceStart = 0;
    for (int piece = 0; ; piece++) {
      int pieceEnd = pieceEnds[piece];
      int length = pieceEnd - pieceStart;
      if (to - i < length || !AnswerShape.same(json, i, layout, pieceStart, length)) {
        return null; // compared eight bytes a step
      }
      i += length;
      pieceStart = pieceEnd;
      if (piece == pieceEnds.length - 1) {
        break;
      }
      i = counts.read(json, i, to, piece);
      if (i < 0) {
        return null;
      }
    }
    if (end != null) {
      end[0] = i;
    }
    return counts.usage();
  }

  /**
   * The counts of a usage laid out as OpenAI writes it ({@link #OPENAI_PIECES}), read one after
   * another where they lie: by {@link #asOpenAiWritesIt} and by a learnt answer's layout ({@link
   * AnswerShape}). One serves one read.
   */
  static final class OpenAiCounts {
    private long prompt;
    private long completion;
    private long total;
    private long cached;
    private long reasoning;

    /**
     * Reads the count at {@code json[i]}, the {@code index}-th of the layout (prompt, completion,
     * total, cached, audio, reasoning, audio, accepted and rejected prediction tokens); returns
     * where it ends, or -1 when it is not one read here: not digits, more than {@value #MAX_DIGITS}
     * of them, a leading zero (which JSON does not allow), or audio tokens other than 0 (read
     * member by member, which leaves them to Jackson).
     */
    int read(byte[] json, int i, int to, int index) {
      int start = i;
      long n = 0;
      while (i < to && json[i] >= '0' && json[i] <= '9') {
        n = n * 10 + (json[i] - '0');
        i++;
      }
      if (i == start || i - start > MAX_DIGITS || (json[start] == '0' && i - start > 1)) {
        return -1;
      }
      switch (index) {
        case 0 -> prompt = n;
        case 1 -> completion = n;
        case 2 -> total = n;
        case 3 -> cached = n;
        case 5 -> reasoning = n;
        case 4, 6 -> {
          if (n != 0) {
            return -1;
          }
        }
        default -> {
          // accepted and rejected prediction tokens: not read
        }
      }
      return i;
    }

    /** The usage of the counts read. */
    Usage usage() {
      return new Usage(prompt, completion, total, cached, reasoning, 0, 0, 0, 0);
    }
  }

  private static byte[] ascii(String text) {
    return text.getBytes(US_ASCII);
  }

  private Usage usage(int from) {
    long prompt = ABSENT;
    long input = ABSENT;
    long completion = ABSENT;
    long output = ABSENT;
    long total = ABSENT;
    long promptCached = NO_DETAILS;
    long inputCached = NO_DETAILS;
    long promptWritten = ABSENT;
    long inputWritten = ABSENT;
    long completionReasoning = NO_DETAILS;
    long outputReasoning = NO_DETAILS;
    at = from + 1;
    for (int name = nextName(); name >= 0; name = nextName()) {
      byte[] known = known(name, at);
      int value = valueStart();
      if (known == PROMPT) {
        prompt = count(value);
      } else if (known == INPUT) {
        input = count(value);
      } else if (known == COMPLETION) {
        completion = count(value);
      } else if (known == OUTPUT) {
        output = count(value);
      } else if (known == TOTAL) {
        total = count(value);
      } else if (known == PROMPT_DETAILS) {
        promptCached = detail(value, CACHED);
        promptWritten = written;
      } else if (known == INPUT_DETAILS) {
        inputCached = detail(value, CACHED);
        inputWritten = written;
      } else if (known == COMPLETION_DETAILS) {
        completionReasoning = detail(value, REASONING);
      } else if (known == OUTPUT_DETAILS) {
        outputReasoning = detail(value, REASONING);
      } else {
        skip(value);
      }
      if (prompt == NOT_READ
          || input == NOT_READ
          || completion == NOT_READ
          || output == NOT_READ
          || total == NOT_READ
          || promptCached == NOT_READ
          || inputCached == NOT_READ
          || promptWritten == NOT_READ
          || inputWritten == NOT_READ
          || completionReasoning == NOT_READ
          || outputReasoning == NOT_READ) {
        return UNREAD;
      }
    }
    if (at < 0) {
      return UNREAD;
    }
    // As parseUsage: the first name if it holds a count, else the second.
    long in = prompt >= 0 ? prompt : input >= 0 ? input : -1;
    long out = completion >= 0 ? completion : output >= 0 ? output : -1;
    if (in < 0 && total < 0) {
      return null;
    }
    in = Math.max(in, 0);
    out = Math.max(out, 0);
    long cached = promptCached != NO_DETAILS ? promptCached : inputCached;
    long cacheWrite = promptCached != NO_DETAILS ? promptWritten : inputWritten;
    long reasoning = completionReasoning != NO_DETAILS ? completionReasoning : outputReasoning;
    return new Usage(
        in,
        out,
        total < 0 ? TokenCounts.sum(in, out) : total,
        Math.max(cached, 0),
        Math.max(reasoning, 0),
        Math.max(cacheWrite, 0),
        0,
        0,
        0);
  }

  /**
   * Moves past the next member's name, from after the object's opening brace or a value; returns
   * where the name starts, or -1 at the object's end or when the name has escapes (then {@link #at}
   * is -1).
   */
  private int nextName() {
    int i = StrictJson.skipSpace(json, at, to);
    if (json[i] == ',') {
      i = StrictJson.skipSpace(json, i + 1, to);
    }
    if (json[i] == '}') {
      at = i + 1;
      return -1;
    }
    at = StrictJson.string(json, i, to, false);
    return at < 0 ? -1 : i;
  }

  /** Moves past the colon after a name; returns where the value starts. */
  private int valueStart() {
    return StrictJson.skipSpace(json, StrictJson.skipSpace(json, at, to) + 1, to);
  }

  /**
   * The one count named {@code wanted} in the details value at {@code value}: the count, {@link
   * #ABSENT} or {@link #NOT_A_COUNT}; {@link #NO_DETAILS} when the value is not an object; {@link
   * #NOT_READ} when it is not read here. Its {@code cache_write_tokens} (prompt details: the tokens
   * written to the provider's prompt cache, as OpenRouter and the gateway's translated answers
   * report them) is left in {@link #written}, read as the count is.
   */
  private long detail(int value, byte[] wanted) {
    written = ABSENT;
    if (json[value] != '{') {
      skip(value);
      return NO_DETAILS;
    }
    long found = ABSENT;
    at = value + 1;
    for (int name = nextName(); name >= 0; name = nextName()) {
      boolean isWanted = StrictJson.is(json, name, at, wanted);
      boolean isWritten = !isWanted && StrictJson.is(json, name, at, CACHE_WRITE);
      int inner = valueStart();
      if (isWanted) {
        found = count(inner);
        if (found == NOT_READ) {
          return NOT_READ;
        }
      } else if (isWritten) {
        written = count(inner);
        if (written == NOT_READ) {
          return NOT_READ;
        }
      } else if (StrictJson.is(json, name, at, AUDIO) || StrictJson.is(json, name, at, IMAGE)) {
        long modality = count(inner);
        if (modality != 0 && modality != NOT_A_COUNT) {
          return NOT_READ; // audio or image tokens reported: Jackson reads the whole detail
        }
      } else {
        skip(inner);
      }
    }
    return at < 0 ? NOT_READ : found;
  }

  /**
   * The value at {@code i} as a count: the integer; {@link #NOT_A_COUNT} when it is not a number;
   * {@link #NOT_READ} when it is a number not read here.
   */
  private long count(int i) {
    byte b = json[i];
    if (b < '0' || b > '9') {
      skip(i);
      return b == '-' ? NOT_READ : NOT_A_COUNT;
    }
    long n = 0;
    int start = i;
    while (i < to && json[i] >= '0' && json[i] <= '9') {
      n = n * 10 + (json[i] - '0');
      i++;
    }
    at = i;
    if (i - start > MAX_DIGITS
        || (i < to && (json[i] == '.' || json[i] == 'e' || json[i] == 'E'))) {
      return NOT_READ;
    }
    return n;
  }

  /** Moves past the value starting at {@code i}. */
  private void skip(int i) {
    int depth = 0;
    do {
      byte b = json[i];
      if (b == '"') {
        i = StrictJson.string(json, i, to, true);
      } else if (b == '{' || b == '[') {
        depth++;
        i++;
      } else if (b == '}' || b == ']') {
        depth--;
        i++;
      } else if (depth > 0) {
        i++;
      } else {
        while (i < to
            && json[i] != ','
            && json[i] != '}'
            && json[i] != ']'
            && !StrictJson.isSpace(json[i])) {
          i++; // a number or a literal
        }
      }
    } while (depth > 0);
    at = i;
  }

  /**
   * The name read here that {@code json[from, to)} is (quotes included), or null; one comparison,
   * with the name of that length and first letter.
   */
  private byte[] known(int from, int to) {
    byte[] name =
        switch (to - from) {
          case 14 -> json[from + 1] == 'i' ? INPUT : TOTAL;
          case 15 -> json[from + 1] == 'p' ? PROMPT : OUTPUT;
          case 19 -> COMPLETION;
          case 22 -> INPUT_DETAILS;
          case 23 -> json[from + 1] == 'p' ? PROMPT_DETAILS : OUTPUT_DETAILS;
          case 27 -> COMPLETION_DETAILS;
          default -> null;
        };
    return name != null && StrictJson.is(json, from, to, name) ? name : null;
  }

  private static byte[] name(String name) {
    return ('"' + name + '"').getBytes(US_ASCII);
  }
}
