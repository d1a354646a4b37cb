package dev.aigateway.core.wire;

import dev.aigateway.api.Usage;
import org.jspecify.annotations.Nullable;

/**
 * Reads one Gemini stream's (or document's) {@code GenerateContentResponse}s: on their bytes
 * ({@link ObjectMembers}) when each is written plainly, as Google writes them, else with {@link
 * GeminiFormat#readResponse} (Jackson's parser). Either way the same model, usage, text and end are
 * learnt: the bytes are read only when they are a strict JSON object without escaped names, without
 * a member twice, with counts written as plain whole numbers and arrays holding objects only; any
 * other response is left to the parser. One per body; it serves one thread.
 *
 * <p>The responses of one stream share their shape: Google writes each chunk with the same members
 * in the same order, and they differ in their text, their counts (cumulative) and the last one's
 * finish reason. Once usage is known and the text is not needed any more, the last response read
 * whole is kept as a template, and a later one that is the template but for its value strings and
 * numbers (each checked to be one, {@link StrictJson}) is read by comparing its bytes with it and
 * reading the counts and model in their places, without walking it again: it teaches what the
 * template taught with its own counts and model, as the parser would read it. Its counts are made a
 * {@link Usage} only when the usage is asked for or the stream ends ({@link
 * ResponseReadout#learnUsageLater}), not once per response. A response that misses the template is
 * read by the parser; a second miss in a row is read whole on its bytes and kept in turn unless it
 * finished the answer; after {@value #GIVE_UP} misses in a row none is kept any more. While the log
 * keeps the text no response can become a template, and each goes to the parser, which reads a
 * response whole in about half the time the walk on bytes takes. (A whole document, which no
 * response follows, goes to the parser too: {@link GeminiJsonBody}.)
 */
final class GeminiResponses implements SseBody.EventReader {

  private static final byte[] CANDIDATES = ObjectMembers.quoted("candidates");
  private static final byte[] USAGE_METADATA = ObjectMembers.quoted("usageMetadata");
  private static final byte[] MODEL_VERSION = ObjectMembers.quoted("modelVersion");
  private static final byte[] PROMPT_FEEDBACK = ObjectMembers.quoted("promptFeedback");
  private static final byte[] FINISH_REASON = ObjectMembers.quoted("finishReason");
  private static final byte[] CONTENT = ObjectMembers.quoted("content");
  private static final byte[] PARTS = ObjectMembers.quoted("parts");
  private static final byte[] TEXT = ObjectMembers.quoted("text");
  private static final byte[] BLOCK_REASON = ObjectMembers.quoted("blockReason");
  private static final byte[] MODALITY = ObjectMembers.quoted("modality");
  private static final byte[] TOKEN_COUNT = ObjectMembers.quoted("tokenCount");
  private static final byte[] AUDIO = ObjectMembers.quoted("AUDIO");
  private static final byte[] IMAGE = ObjectMembers.quoted("IMAGE");

  /** The counts of {@code usageMetadata}, in the order {@link GeminiFormat#usageOf} takes them. */
  private static final byte[][] COUNTS = {
    ObjectMembers.quoted("promptTokenCount"),
    ObjectMembers.quoted("candidatesTokenCount"),
    ObjectMembers.quoted("thoughtsTokenCount"),
    ObjectMembers.quoted("toolUsePromptTokenCount"),
    ObjectMembers.quoted("cachedContentTokenCount"),
    ObjectMembers.quoted("totalTokenCount"),
    ObjectMembers.quoted("promptTokensDetails"),
    ObjectMembers.quoted("toolUsePromptTokensDetails"),
    ObjectMembers.quoted("candidatesTokensDetails")
  };

  private static final int DETAILS = 6;

  private final ObjectMembers response =
      new ObjectMembers(CANDIDATES, USAGE_METADATA, MODEL_VERSION, PROMPT_FEEDBACK);
  private final ObjectMembers usage = new ObjectMembers(COUNTS);
  private final ObjectMembers detail = new ObjectMembers(MODALITY, TOKEN_COUNT);
  private final ObjectMembers candidate = new ObjectMembers(FINISH_REASON, CONTENT);
  private final ObjectMembers content = new ObjectMembers(PARTS);
  private final ObjectMembers part = new ObjectMembers(TEXT);
  private final ObjectMembers feedback = new ObjectMembers(BLOCK_REASON);
  private final long[] counts = new long[6];
  private final long[] modalities = new long[3];

  private static final byte[] NOTHING = {};
  private static final int[] NO_INTS = {};

  /** Template misses in a row after which no response is kept as a template any more. */
  static final int GIVE_UP = 4;

  /** What a noted value of the template is: a string whose value is free, ... */
  private static final int FREE = 0;

  /** ... the {@code modelVersion} string, ... */
  private static final int MODEL = 1;

  /** ... a number whose value is free, ... */
  private static final int NUMBER = 2;

  /** ... the count of {@link #COUNTS} {@code k} (this plus {@code k}), ... */
  private static final int COUNT = 3;

  /** ... a details {@code tokenCount} added to modality slot {@code s} (this plus 1 plus s). */
  private static final int DETAIL = COUNT + DETAILS;

  /**
   * The template: the bytes of the last response read here on its bytes, whole, when later text was
   * not needed; -1 as its length when there is none.
   */
  private byte[] kept = NOTHING;

  private int keptLength = -1;

  /** Per value of the template that may differ in a later response: start, end and kind. */
  private int[] noted = NO_INTS;

  private int notedCount;

  /** What the template taught besides its values: usage, details, an end. */
  private boolean keptAny;

  private boolean keptDetails;
  private boolean keptFinished;

  /** The same, of the response {@link #readBytes} read last. */
  private boolean readAny;

  private boolean readDetails;
  private boolean readFinished;
  private int misses;

  /** How many responses were read as the template (for tests). */
  private int templateReads;

  /** The details {@code tokenCount}s of the template: start, then modality slot or -1. */
  private int[] detailCounts = NO_INTS;

  private int detailCount;

  /**
   * {@inheritDoc}
   *
   * <p>While the text is kept for the log no response can become a template, and the parser reads
   * one whole in about half the time the walk on bytes takes (which validates the nested values
   * once per level it looks into), so each goes to the parser.
   */
  @Override
  public void read(ResponseReadout readout, byte[] data, int from, int to) {
    if (readout.keepsText()) {
      GeminiFormat.readResponse(readout, data, from, to);
      return;
    }
    if (keptLength >= 0) {
      if (readLikeKept(readout, data, from, to)) {
        misses = 0;
        templateReads++;
        return;
      }
      if (++misses >= GIVE_UP) {
        keptLength = -1; // responses of this stream differ in shape: read each whole
      } else if (misses == 1) {
        // One response of another shape (most often the last, with its finish reason): the
        // parser reads it for less than the walk would; a second miss in a row is walked and kept
        // as the new template.
        GeminiFormat.readResponse(readout, data, from, to);
        return;
      }
    }
    if (!readBytes(readout, data, from, to)) {
      GeminiFormat.readResponse(readout, data, from, to);
    } else if (misses < GIVE_UP && !readFinished && !readout.textNeeded()) {
      keep(data, from, to); // (a finished answer has nothing after it to compare)
    }
  }

  /** The counts of the response read last against the template, made a usage when asked for. */
  private @Nullable CountsRead later;

  /** Counts {@link #readLikeKept} read, as {@link GeminiFormat#usageOf} takes them. */
  private static final class CountsRead implements ResponseReadout.LaterUsage {
    private final long[] counts = new long[DETAILS];
    private final long[] modalities = new long[3];
    private boolean details;

    void take(long[] read, long @Nullable [] modalitiesRead) {
      System.arraycopy(read, 0, counts, 0, DETAILS);
      details = modalitiesRead != null;
      if (details) {
        System.arraycopy(modalitiesRead, 0, modalities, 0, modalities.length);
      }
    }

    @Override
    public Usage usage(Usage previous) {
      return usageOf(counts, details ? modalities : null, previous);
    }
  }

  /** How many responses were read as the template, not walked whole. */
  int templateReads() {
    return templateReads;
  }

  /**
   * Keeps the response {@link #readBytes} just read whole as the template of later ones: its bytes,
   * and where its values lie that a later response of the stream may change without changing what
   * it teaches but for them: every value string and number outside {@code usageMetadata} (the text,
   * ids, indexes; a finish reason stays a finish reason), and inside it the counts. Names,
   * literals, punctuation and the strings of {@code usageMetadata} (the modalities) must stay as
   * they are.
   */
  private void keep(byte[] data, int from, int to) {
    int n = to - from;
    if (kept.length < n) {
      kept = new byte[n + 32]; // room for longer texts and counts of later templates
    }
    System.arraycopy(data, from, kept, 0, n);
    keptAny = readAny;
    keptDetails = readDetails;
    keptFinished = readFinished;
    notedCount = 0;
    int usageFrom = response.startsWith(data, 1, '{') ? response.start(1) : -1;
    int usageTo = usageFrom < 0 ? -1 : response.end(1);
    detailCount = 0;
    for (int k = DETAILS; usageFrom >= 0 && k < COUNTS.length; k++) {
      if (usage.startsWith(data, k, '[')) {
        noteDetailCounts(data, usage.start(k), k == DETAILS + 2 ? 2 : 0);
      }
    }
    int model = response.startsWith(data, 2, '"') ? response.start(2) : -1;
    for (int i = from; i < to; ) {
      byte b = data[i];
      boolean inUsage = i > usageFrom && i < usageTo;
      if (b == '"') {
        int end = StrictJson.string(data, i, to, true);
        int next = StrictJson.skipSpace(data, end, to);
        if (!inUsage && (next >= to || data[next] != ':')) {
          note(i - from, end - from, i == model ? MODEL : FREE);
        }
        i = end;
      } else if (isNumber(b)) {
        int end = StrictJson.NOT_NOTING.value(data, i, to, 0);
        note(i - from, end - from, inUsage ? countKind(i) : NUMBER);
        i = end;
      } else {
        i++;
      }
    }
    keptLength = n;
  }

  /** The kind of the number at {@code at} inside the kept response's {@code usageMetadata}. */
  private int countKind(int at) {
    for (int k = 0; k < DETAILS; k++) {
      if (usage.start(k) == at) {
        return COUNT + k;
      }
    }
    for (int d = 0; d < detailCount; d++) {
      if (detailCounts[2 * d] == at) {
        return DETAIL + 1 + detailCounts[2 * d + 1];
      }
    }
    return NUMBER;
  }

  private void note(int start, int end, int kind) {
    if (notedCount * 3 == noted.length) {
      noted = java.util.Arrays.copyOf(noted, Math.max(36, noted.length * 2));
    }
    noted[notedCount * 3] = start;
    noted[notedCount * 3 + 1] = end;
    noted[notedCount * 3 + 2] = kind;
    notedCount++;
  }

  /**
   * Reads a response that is the template but for the values it noted, each still a value of its
   * kind ({@link StrictJson}: so the response is as well-formed as the template was, with the same
   * members in the same places) and the counts still plain whole numbers: it teaches what the
   * template taught with those values, which are read. False, having learnt nothing, for any other
   * response.
   */
  private boolean readLikeKept(ResponseReadout readout, byte[] data, int from, int to) {
    int i = from;
    int k = 0;
    int modelStart = -1;
    int modelEnd = -1;
    for (int c = 0; c < DETAILS; c++) {
      counts[c] = c == 5 ? -1 : 0;
    }
    java.util.Arrays.fill(modalities, 0);
    for (int j = 0; j < notedCount; j++) {
      int start = noted[3 * j];
      int same = start - k;
      if (to - i < same || !java.util.Arrays.equals(data, i, i + same, kept, k, start)) {
        return false;
      }
      i += same;
      int kind = noted[3 * j + 2];
      int end;
      if (kind <= MODEL) {
        end = i < to && data[i] == '"' ? StrictJson.string(data, i, to, true) : -1;
        if (kind == MODEL) {
          modelStart = i;
          modelEnd = end;
        }
      } else {
        end = i < to && isNumber(data[i]) ? StrictJson.NOT_NOTING.value(data, i, to, 0) : -1;
        long count = end < 0 || kind == NUMBER ? 0 : wholeNumber(data, i, end);
        if (count < 0) {
          return false; // not a plain whole number: read whole (the parser's rules)
        }
        if (kind == NUMBER) {
          // any number: nothing read from it
        } else if (kind < DETAIL) {
          counts[kind - COUNT] = count;
        } else if (kind > DETAIL) {
          int slot = kind - DETAIL - 1;
          modalities[slot] = dev.aigateway.core.tokens.TokenCounts.sum(modalities[slot], count);
        }
      }
      if (end < 0) {
        return false;
      }
      i = end;
      k = noted[3 * j + 1];
    }
    int same = keptLength - k;
    if (to - i != same || !java.util.Arrays.equals(data, i, to, kept, k, keptLength)) {
      return false;
    }
    String model = null;
    if (modelStart >= 0) {
      if (!plainAscii(data, modelStart + 1, modelEnd - 1)) {
        return false;
      }
      if (!sameAscii(readout.model(), data, modelStart + 1, modelEnd - 1)) {
        model =
            new String(
                data,
                modelStart + 1,
                modelEnd - modelStart - 2,
                java.nio.charset.StandardCharsets.US_ASCII);
      }
    }
    readout.learnUsage(model, null);
    if (keptAny) {
      // usage is known (the text is not needed): the counts are made a usage when asked for
      if (later == null) {
        later = new CountsRead();
      }
      later.take(counts, keptDetails ? modalities : null);
      readout.learnUsageLater(later);
    }
    if (keptFinished) {
      readout.markComplete();
    }
    return true;
  }

  /** Reads the response on its bytes; false, having learnt nothing, to leave it to the parser. */
  boolean readBytes(ResponseReadout readout, byte[] data, int from, int to) {
    readAny = false;
    readDetails = false;
    if (!response.walk(data, from, to) || response.hasDuplicates()) {
      return false;
    }
    if (response.start(0) >= 0 && !response.startsWith(data, 0, '[')
        || response.start(2) >= 0 && !response.startsWith(data, 2, '"')
        || response.start(3) >= 0 && !response.startsWith(data, 3, '{')) {
      return false; // the parser would read on inside such a value: left to it
    }
    String model = null;
    if (response.startsWith(data, 2, '"')) {
      int start = response.start(2) + 1;
      int end = response.end(2) - 1;
      if (!plainAscii(data, start, end)) {
        return false;
      }
      if (!sameAscii(readout.model(), data, start, end)) {
        model = new String(data, start, end - start, java.nio.charset.StandardCharsets.US_ASCII);
      }
    }
    Usage read = null;
    if (response.startsWith(data, 1, '{')) {
      if (!readUsage(data, readout.usage())) {
        return false;
      }
      read = usageRead;
    }
    boolean textNeeded = readout.textNeeded();
    boolean finished = false;
    if (response.startsWith(data, 0, '[')) {
      int candidates = candidates(readout, data, textNeeded, false);
      if (candidates < 0) {
        return false;
      }
      finished = candidates > 0;
    }
    if (response.startsWith(data, 3, '{')) {
      if (!feedback.walk(data, response.start(3), response.end(3)) || feedback.hasDuplicates()) {
        return false;
      }
      finished |= feedback.startsWith(data, 0, '"');
    }
    readout.learnUsage(model, read);
    if (textNeeded && response.start(0) >= 0) {
      candidates(readout, data, true, true);
    }
    if (finished) {
      readout.markComplete();
    }
    readFinished = finished;
    return true;
  }

  /** The usage {@link #readUsage} read last; null when it held no count. */
  private @Nullable Usage usageRead;

  /** Reads {@code usageMetadata} into {@link #usageRead}; false to leave it to the parser. */
  private boolean readUsage(byte[] data, @Nullable Usage previous) {
    if (!usage.walk(data, response.start(1), response.end(1)) || usage.hasDuplicates()) {
      return false;
    }
    boolean any = false;
    for (int k = 0; k < DETAILS; k++) {
      counts[k] = k == 5 ? -1 : 0;
      if (usage.start(k) < 0 || !isNumber(data[usage.start(k)])) {
        continue; // absent, or not a number: the parser skips it too
      }
      long count = wholeNumber(data, usage.start(k), usage.end(k));
      if (count < 0) {
        return false; // negative, fractional, exponent or too long: the parser's rules
      }
      counts[k] = count;
      any = true;
    }
    java.util.Arrays.fill(modalities, 0);
    boolean details = false;
    for (int k = DETAILS; k < COUNTS.length; k++) {
      if (usage.startsWith(data, k, '[')) {
        int found = readDetails(data, usage.start(k), k == DETAILS + 2 ? 2 : 0);
        if (found < 0) {
          return false;
        }
        details |= found > 0;
      }
    }
    readAny = any;
    readDetails = details;
    usageRead = any ? usageOf(counts, details ? modalities : null, previous) : null;
    return true;
  }

  /**
   * Adds the {@code AUDIO} and {@code IMAGE} counts of the details array at {@code at} to {@link
   * #modalities} from {@code slot}; returns how many it added, or -1 to leave it to the parser.
   */
  private int readDetails(byte[] data, int at, int slot) {
    int found = 0;
    for (int i = ObjectMembers.firstElement(data, at);
        i >= 0;
        i = ObjectMembers.nextElement(data, i)) {
      if (data[i] != '{') {
        continue; // the parser skips what is not an object
      }
      int end = ObjectMembers.valueEnd(data, i);
      if (!detail.walk(data, i, end) || detail.hasDuplicates()) {
        return -1;
      }
      long count = 0;
      if (detail.start(1) >= 0 && isNumber(data[detail.start(1)])) {
        count = wholeNumber(data, detail.start(1), detail.end(1));
        if (count < 0) {
          return -1;
        }
      }
      if (detail.startsWith(data, 0, '"')
          && !plainAscii(data, detail.start(0) + 1, detail.end(0) - 1)) {
        return -1;
      }
      int into = detail.is(data, 0, AUDIO) ? slot : detail.is(data, 0, IMAGE) && slot == 0 ? 1 : -1;
      if (into >= 0) {
        modalities[into] = dev.aigateway.core.tokens.TokenCounts.sum(modalities[into], count);
        found++;
      }
    }
    return found;
  }

  /**
   * Notes where the {@code tokenCount}s of the details array at {@code at} of the response just
   * read lie, and the modality slot from {@code slot} each is added to ({@link #readDetails}), or
   * -1.
   */
  private void noteDetailCounts(byte[] data, int at, int slot) {
    for (int i = ObjectMembers.firstElement(data, at);
        i >= 0;
        i = ObjectMembers.nextElement(data, i)) {
      if (data[i] != '{') {
        continue;
      }
      detail.walk(data, i, ObjectMembers.valueEnd(data, i));
      if (detail.start(1) < 0 || !isNumber(data[detail.start(1)])) {
        continue;
      }
      int into = detail.is(data, 0, AUDIO) ? slot : detail.is(data, 0, IMAGE) && slot == 0 ? 1 : -1;
      if (detailCount * 2 == detailCounts.length) {
        detailCounts = java.util.Arrays.copyOf(detailCounts, Math.max(8, detailCounts.length * 2));
      }
      detailCounts[2 * detailCount] = detail.start(1);
      detailCounts[2 * detailCount + 1] = into;
      detailCount++;
    }
  }

  /**
   * Walks the candidates: with {@code append}, appends their parts' text; returns 1 when one has a
   * finish reason, 0 when none has, -1 to leave the response to the parser. With {@code textNeeded}
   * false their content is not looked at (the parser skips it then too).
   */
  private int candidates(ResponseReadout readout, byte[] data, boolean textNeeded, boolean append) {
    boolean finished = false;
    for (int i = ObjectMembers.firstElement(data, response.start(0));
        i >= 0;
        i = ObjectMembers.nextElement(data, i)) {
      int end = ObjectMembers.valueEnd(data, i);
      if (data[i] != '{' || !candidate.walk(data, i, end) || candidate.hasDuplicates()) {
        return -1; // the parser stops at a candidate that is not an object
      }
      if (candidate.start(0) >= 0 && !candidate.startsWith(data, 0, '"')) {
        return -1; // the parser would read on inside a finish reason that is not text
      }
      finished |= candidate.start(0) >= 0;
      if (textNeeded && candidate.startsWith(data, 1, '{') && !parts(readout, data, append)) {
        return -1;
      }
    }
    return finished ? 1 : 0;
  }

  private boolean parts(ResponseReadout readout, byte[] data, boolean append) {
    if (!content.walk(data, candidate.start(1), candidate.end(1)) || content.hasDuplicates()) {
      return false;
    }
    if (!content.startsWith(data, 0, '[')) {
      return true;
    }
    for (int i = ObjectMembers.firstElement(data, content.start(0));
        i >= 0;
        i = ObjectMembers.nextElement(data, i)) {
      int end = ObjectMembers.valueEnd(data, i);
      if (data[i] != '{' || !part.walk(data, i, end) || part.hasDuplicates()) {
        return false; // the parser stops at a part that is not an object
      }
      if (append && part.startsWith(data, 0, '"')) {
        readout.appendJsonString(data, part.start(0), part.end(0));
      }
    }
    return true;
  }

  private static boolean isNumber(byte b) {
    return b == '-' || (b >= '0' && b <= '9');
  }

  /** The plain whole number {@code data[from, to)}, or -1 when it is not one of up to 18 digits. */
  private static long wholeNumber(byte[] data, int from, int to) {
    if (to - from > 18) {
      return -1;
    }
    long value = 0;
    for (int i = from; i < to; i++) {
      byte b = data[i];
      if (b < '0' || b > '9') {
        return -1;
      }
      value = value * 10 + (b - '0');
    }
    return to > from ? value : -1;
  }

  /** Whether {@code data[from, to)} is ASCII without a backslash (a string's plain inside). */
  private static boolean plainAscii(byte[] data, int from, int to) {
    for (int i = from; i < to; i++) {
      if (data[i] < 0 || data[i] == '\\') {
        return false;
      }
    }
    return true;
  }

  private static boolean sameAscii(@Nullable String known, byte[] data, int from, int to) {
    if (known == null || known.length() != to - from) {
      return false;
    }
    for (int i = from; i < to; i++) {
      if (known.charAt(i - from) != data[i]) {
        return false;
      }
    }
    return true;
  }

  /** The usage of counts read in the order {@link #COUNTS} lists them. */
  private static Usage usageOf(
      long[] counts, long @Nullable [] modalities, @Nullable Usage previous) {
    return GeminiFormat.usageOf(
        counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], modalities, previous);
  }
}
