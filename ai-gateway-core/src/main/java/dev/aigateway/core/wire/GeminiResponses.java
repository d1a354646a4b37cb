package dev.aigateway.core.wire;

import dev.aigateway.api.Usage;
import dev.aigateway.core.tokens.TokenCounts;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Reads one Gemini stream's (or document's) {@code GenerateContentResponse}s: on their bytes in one
 * pass ({@link GeminiResponseWalk}) when each is written plainly, as Google writes them, else with
 * {@link GeminiFormat#readResponse} (Jackson's parser). Either way the same model, usage, text and
 * end are learnt. One per body; it serves one thread.
 *
 * <p>The responses of one stream share their shape: Google writes each chunk with the same members
 * in the same order, and they differ in their text, their counts (cumulative) and the last one's
 * finish reason. Once usage is known and the text is not needed any more, the last response read
 * whole is kept as a template, and a later one that is the template but for its value strings and
 * numbers is read by comparing its bytes with the template's ({@link Arrays#mismatch}, many bytes a
 * step): only a value whose bytes differ is read (checked to be a string or number, {@link
 * StrictJson}, and a count to be a plain whole number), and one whose bytes are the template's is
 * the template's value. It teaches what the template taught with its own counts and model, as the
 * parser would read it. Its counts are made a {@link Usage} only when the usage is asked for or the
 * stream ends ({@link ResponseReadout#learnUsageLater}), not once per response. A response that
 * misses the template is read whole; a second miss in a row is kept as the new template unless it
 * finished the answer; after {@value #GIVE_UP} misses in a row none is kept any more. While the log
 * keeps the text no response can become a template. A response longer than {@link
 * StrictJson#MAX_LENGTH} is read by the parser (whose limits, such as a name's length, the byte
 * readers do not check), as OpenAI's chunks are.
 *
 * <p>In an event stream, a response is compared with the template before its event is framed
 * ({@link SseBody.OneLineReader}): the comparison finds where the data line's value ends, without
 * learning anything; the body checks the event's framing there, and only then is the response
 * learnt ({@link #readFound}), as {@link #read} would learn it.
 */
final class GeminiResponses implements SseBody.OneLineReader {

  /** Template misses in a row after which no response is kept as a template any more. */
  static final int GIVE_UP = 4;

  /** What a noted value of the template is: a string whose value is free, ... */
  private static final int FREE = 0;

  /** ... the {@code modelVersion} string, ... */
  private static final int MODEL = 1;

  /** ... a number whose value is free, ... */
  private static final int NUMBER = 2;

  /** ... a number of {@code usageMetadata} that is no count (read as a long by the parser), ... */
  private static final int USAGE_NUMBER = 3;

  /** ... count {@code k} of {@code usageMetadata} (this plus {@code k}), ... */
  private static final int COUNT = 4;

  /** ... a details {@code tokenCount} added to modality slot {@code s} (this plus 1 plus s). */
  private static final int DETAIL = COUNT + GeminiResponseWalk.COUNTS;

  private static final byte[] NOTHING = {};
  private static final int[] NO_INTS = {};
  private static final long[] NO_LONGS = {};

  private final GeminiResponseWalk walk = new GeminiResponseWalk();

  /**
   * The template: the bytes of the last response read here on its bytes, whole, when later text was
   * not needed; -1 as its length when there is none.
   */
  private byte[] kept = NOTHING;

  private int keptLength = -1;

  /**
   * Per value of the template that may differ in a later response: start, end, kind, and for a
   * count its index among {@link #keptValues}.
   */
  private int[] noted = NO_INTS;

  private int notedCount;

  /**
   * The template's counts and details counts, and their kinds; {@link #values} of the last read.
   */
  private long[] keptValues = NO_LONGS;

  private int[] valueKinds = NO_INTS;
  private long[] values = NO_LONGS;
  private int valueCount;

  /** What the template taught besides its values: whether usage, whether details; its model. */
  private boolean keptAny;

  private boolean keptDetails;
  private @Nullable String keptModel;

  private int misses;

  /**
   * Where a later response may add a finish reason to a candidate of the template that has none
   * ({@link GeminiResponseWalk#finishSlot(int)}, from the template's start), in order.
   */
  private int[] finishSlots = NO_INTS;

  private int finishSlotCount;

  /**
   * How many candidates of the template have no finish reason: a finish reason added to one
   * finishes the answer only when it is the last.
   */
  private int keptUnfinished;

  /** How many responses were read as the template (for tests). */
  private int templateReads;

  /** How many of them were read before they were framed ({@link #readFound}; for tests). */
  private int foundReads;

  /**
   * Whether the template holds no line ending (1), holds one (0), or was not looked at yet (-1): a
   * template kept from data joined from several data lines is not read before framing.
   */
  private int keptOneLine = -1;

  /** What {@link #likeKept} found last: the model string, or -1 when the template's stands. */
  private int foundModelStart;

  private int foundModelEnd;

  /** Whether it found a finish reason added to a candidate, and where that member lies. */
  private boolean foundFinished;

  private int finishFrom;
  private int finishTo;

  /** The counts of the response read last against the template, made a usage when asked for. */
  private @Nullable CountsRead later;

  private final long[] counts = new long[GeminiResponseWalk.COUNTS];
  private final long[] modalities = new long[3];

  /** {@inheritDoc} */
  @Override
  public void read(ResponseReadout readout, byte[] data, int from, int to) {
    if (to - from > StrictJson.MAX_LENGTH) {
      GeminiFormat.readResponse(readout, data, from, to); // too long for the byte readers
      return;
    }
    if (keptLength >= 0) {
      if (readLikeKept(readout, data, from, to, true) >= 0) {
        misses = 0;
        templateReads++;
        return;
      }
      if (++misses >= GIVE_UP) {
        keptLength = -1; // responses of this stream differ in shape: read each whole
      }
    }
    int end = walk.walk(data, from, to);
    if (end < 0 || StrictJson.skipSpace(data, end, to) != to || !walk.learn(data, readout)) {
      GeminiFormat.readResponse(readout, data, from, to);
      return;
    }
    keepIfFit(readout, data, from, to);
  }

  /**
   * Reads the response that starts at {@code data[from]} (an element of an array stream) if it ends
   * before {@code to}, as {@link #read} reads it: returns the index after it, or -1, having learnt
   * nothing, when it does not end before {@code to} or is not read on its bytes (the caller then
   * finds its end and hands it to {@link #read}).
   */
  int readElement(ResponseReadout readout, byte[] data, int from, int to) {
    to = Math.min(to, from + StrictJson.MAX_LENGTH); // a longer one is left to read()
    if (keptLength >= 0) {
      int end = readLikeKept(readout, data, from, to, false);
      if (end >= 0) {
        misses = 0;
        templateReads++;
        return end;
      }
    }
    int end = walk.walk(data, from, to);
    if (end < 0) {
      return -1;
    }
    if (keptLength >= 0 && ++misses >= GIVE_UP) {
      keptLength = -1;
    }
    if (!walk.learn(data, readout)) {
      GeminiFormat.readResponse(readout, data, from, end);
      return end;
    }
    keepIfFit(readout, data, from, end);
    return end;
  }

  /**
   * Reads a whole {@code generateContent} document, as {@link GeminiFormat#readDocument} does: on
   * its bytes when it is written plainly, else with the parser.
   */
  void readDocument(ResponseReadout readout, byte[] data, int from, int to) {
    if (to - from > StrictJson.MAX_LENGTH) {
      GeminiFormat.readDocument(readout, data, from, to); // too long for the byte readers
      return;
    }
    walk.notePassed(false); // a document is never kept as a template
    int end = walk.walk(data, from, to);
    if (end < 0 || StrictJson.skipSpace(data, end, to) != to || !walk.learn(data, readout)) {
      GeminiFormat.readDocument(readout, data, from, to);
    }
  }

  /**
   * Reads the document that starts at {@code data[from]} if it ends before {@code to}, as {@link
   * #readDocument}: returns the index after it, or -1, having learnt nothing.
   */
  int readDocumentAt(ResponseReadout readout, byte[] data, int from, int to) {
    to = Math.min(to, from + StrictJson.MAX_LENGTH); // a longer one is left to readDocument()
    walk.notePassed(false); // a document is never kept as a template
    int end = walk.walk(data, from, to);
    if (end >= 0 && !walk.learn(data, readout)) {
      GeminiFormat.readDocument(readout, data, from, end);
    }
    return end;
  }

  /** How many responses were read as the template, not walked whole. */
  int templateReads() {
    return templateReads;
  }

  /** How many responses were read as the template before their event was framed. */
  int foundReads() {
    return foundReads;
  }

  /**
   * The template's length while there is one to read events against before they are framed (one
   * without a line ending), else -1.
   */
  @Override
  public int expectedLength() {
    if (keptLength < 0) {
      return -1;
    }
    if (keptOneLine < 0) {
      keptOneLine = SseEventFramer.indexOfLineEnd(kept, 0, keptLength) < 0 ? 1 : 0;
    }
    return keptOneLine == 1 ? keptLength : -1;
  }

  /**
   * The end of the response starting at {@code data[from]} when it is the template but for its
   * values and an added finish reason ({@link #likeKept}), and holds no line ending (none of the
   * template's bytes, its values' or the space around an added finish reason), so that it lies on
   * one line; else -1. As {@link #read}, a response longer than {@link StrictJson#MAX_LENGTH} is
   * left to the parser. Learns nothing.
   */
  @Override
  public int valueEnd(byte[] data, int from, int to) {
    if (expectedLength() < 0) {
      return -1;
    }
    int end = likeKept(data, from, Math.min(to, from + StrictJson.MAX_LENGTH), false);
    if (end >= 0
        && foundFinished
        && SseEventFramer.indexOfLineEnd(data, finishFrom, finishTo) >= 0) {
      return -1; // the added member spans lines: the event is framed and read as any other
    }
    return end;
  }

  /** Learns the response {@link #valueEnd} found last, as {@link #read} learns it. */
  @Override
  public void readFound(ResponseReadout readout, byte[] data, int from, int to) {
    learnLikeKept(readout, data);
    misses = 0;
    templateReads++;
    foundReads++;
  }

  /**
   * Keeps the response just walked and learnt as the template of later ones, unless it missed the
   * template once (a second miss in a row is kept), finished the answer (nothing follows to
   * compare) or the text is still needed.
   */
  private void keepIfFit(ResponseReadout readout, byte[] data, int from, int to) {
    if (misses != 1 && misses < GIVE_UP && !walk.finished() && !readout.textNeeded()) {
      keep(readout, data, from, to);
    }
  }

  /**
   * Keeps the response {@link #walk} just read as the template of later ones: its bytes, and where
   * its values lie that a later response of the stream may change without changing what it teaches
   * but for them: every value string and number outside {@code usageMetadata} (the text, ids,
   * indexes; a finish reason stays a finish reason), and inside it the numbers (the counts among
   * them). Names, literals, punctuation and the strings of {@code usageMetadata} (the modalities)
   * must stay as they are.
   */
  private void keep(ResponseReadout readout, byte[] data, int from, int to) {
    int n = to - from;
    if (kept.length < n) {
      kept = new byte[n + 32]; // room for longer texts and counts of later templates
    }
    System.arraycopy(data, from, kept, 0, n);
    keptAny = walk.reportsUsage();
    keptDetails = walk.hasDetails();
    int model = walk.modelStart();
    keptModel = model >= 0 ? readout.model() : null;
    notedCount = 0;
    valueCount = 0;
    int usageFrom = walk.usageFrom();
    int usageTo = usageFrom < 0 ? -1 : walk.usageTo();
    for (int p = 0; p < walk.passedCount(); p++) {
      int start = walk.passedStart(p);
      int end = walk.passedEnd(p);
      byte b = data[start];
      if (b == '{' || b == '[') {
        noteInside(data, start, end, from, usageFrom, usageTo); // a value skipped whole
      } else if (b == '"') {
        if (start <= usageFrom || start >= usageTo) {
          note(start - from, end - from, start == model ? MODEL : FREE, -1);
        }
      } else if (GeminiResponseWalk.isNumber(b)) {
        noteNumber(data, start, end, from, usageFrom, usageTo);
      }
    }
    if (values.length < valueCount) {
      values = new long[keptValues.length];
    }
    int slots = walk.finishSlotCount();
    if (finishSlots.length < slots) {
      finishSlots = new int[slots];
    }
    for (int s = 0; s < slots; s++) {
      int slot = walk.finishSlot(s);
      finishSlots[s] = ((slot >> 1) - from) << 1 | (slot & 1);
    }
    finishSlotCount = slots;
    keptUnfinished = walk.unfinishedCandidates();
    keptLength = n;
    keptOneLine = -1;
  }

  /**
   * Notes the value strings and numbers inside {@code data[start, end)}, an object or array the
   * walk skipped whole (of a response starting at {@code from}).
   */
  private void noteInside(byte[] data, int start, int end, int from, int usageFrom, int usageTo) {
    for (int i = start; i < end; ) {
      byte b = data[i];
      if (b == '"') {
        int stringEnd = StrictJson.string(data, i, end, true);
        int next = StrictJson.skipSpace(data, stringEnd, end);
        if ((i <= usageFrom || i >= usageTo) && (next >= end || data[next] != ':')) {
          note(i - from, stringEnd - from, FREE, -1);
        }
        i = stringEnd;
      } else if (GeminiResponseWalk.isNumber(b)) {
        int numberEnd = StrictJson.NOT_NOTING.value(data, i, end, 0);
        noteNumber(data, i, numberEnd, from, usageFrom, usageTo);
        i = numberEnd;
      } else {
        i++;
      }
    }
  }

  /** Notes the number {@code data[start, end)}: a count (its value kept) or a free number. */
  private void noteNumber(byte[] data, int start, int end, int from, int usageFrom, int usageTo) {
    int kind = start > usageFrom && start < usageTo ? countKind(start) : NUMBER;
    int value = -1;
    if (kind >= COUNT) {
      value = countValue(kind, GeminiResponseWalk.wholeNumber(data, start, end));
    }
    note(start - from, end - from, kind, value);
  }

  /** The kind of the number at {@code at} inside the walked response's {@code usageMetadata}. */
  private int countKind(int at) {
    for (int k = 0; k < GeminiResponseWalk.COUNTS; k++) {
      if (walk.countAt(k) == at) {
        return COUNT + k;
      }
    }
    for (int d = 0; d < walk.detailCount(); d++) {
      if (walk.detailAt(d) == at) {
        return DETAIL + 1 + walk.detailSlot(d);
      }
    }
    return USAGE_NUMBER;
  }

  /** Notes a count of the template ({@code kind}, {@code value}); returns its index. */
  private int countValue(int kind, long value) {
    if (valueCount == keptValues.length) {
      keptValues = Arrays.copyOf(keptValues, Math.max(8, valueCount * 2));
      valueKinds = Arrays.copyOf(valueKinds, keptValues.length);
    }
    keptValues[valueCount] = value;
    valueKinds[valueCount] = kind;
    return valueCount++;
  }

  private void note(int start, int end, int kind, int value) {
    if (notedCount * 4 == noted.length) {
      noted = Arrays.copyOf(noted, Math.max(64, noted.length * 2));
    }
    noted[notedCount * 4] = start;
    noted[notedCount * 4 + 1] = end;
    noted[notedCount * 4 + 2] = kind;
    noted[notedCount * 4 + 3] = value;
    notedCount++;
  }

  /**
   * Reads the response at {@code data[from, to)} ({@code exact}) or starting at {@code data[from]}
   * and ending before {@code to} if it is the template but for the values it noted ({@link
   * #likeKept}): it teaches what the template taught with those values. Returns the index after the
   * response, or -1, having learnt nothing, for any other response.
   */
  private int readLikeKept(ResponseReadout readout, byte[] data, int from, int to, boolean exact) {
    int end = likeKept(data, from, to, exact);
    if (end >= 0) {
      learnLikeKept(readout, data);
    }
    return end;
  }

  /**
   * Whether the response at {@code data[from, to)} ({@code exact}) or starting at {@code
   * data[from]} and ending before {@code to} is the template but for the values it noted, each
   * still a value of its kind ({@link StrictJson}: so the response is as well-formed as the
   * template was, with the same members in the same places) and the counts still plain whole
   * numbers, and perhaps a finish reason added to a candidate: returns the index after the
   * response, or -1 for any other response. Learns nothing: what it found ({@link #values}, the
   * model, the finish) is learnt by {@link #learnLikeKept}, and only then.
   */
  private int likeKept(byte[] data, int from, int to, boolean exact) {
    System.arraycopy(keptValues, 0, values, 0, valueCount);
    int i = from;
    int k = 0;
    int j = 0;
    int modelStart = -1;
    int modelEnd = -1;
    boolean finished = false;
    int end;
    while (true) {
      int limit = exact || to - i < keptLength - k ? to : i + keptLength - k;
      int m = Arrays.mismatch(data, i, limit, kept, k, keptLength);
      if (m < 0) {
        end = limit;
        break;
      }
      int at = k + m; // where the first difference lies in the template
      while (j < notedCount && noted[4 * j + 1] < at) {
        j++; // values equal to the template's
      }
      if (j == notedCount || noted[4 * j] > at) {
        // a difference outside the values: the last response's finish reason, or another shape
        int slot = finished ? -1 : finishSlotAt(k, at);
        if (slot < 0) {
          return -1;
        }
        int place = slot >> 1;
        int added = i + m - (at - place);
        int after = finishReason(data, added, to, (slot & 1) != 0);
        if (after < 0) {
          return -1;
        }
        finished = true;
        finishFrom = added;
        finishTo = after;
        i = after;
        k = place;
        continue;
      }
      int start = i + m - (at - noted[4 * j]);
      int kind = noted[4 * j + 2];
      int valueEnd;
      if (kind <= MODEL) {
        valueEnd = start < to && data[start] == '"' ? StrictJson.string(data, start, to, true) : -1;
        if (kind == MODEL) {
          modelStart = start;
          modelEnd = valueEnd;
        }
      } else if (kind >= COUNT) {
        valueEnd = walk.plainCount(data, start, to);
        if (valueEnd < 0) {
          return -1; // not a plain whole number: read whole (the parser's rules)
        }
        values[noted[4 * j + 3]] = walk.count();
      } else {
        valueEnd =
            start < to && GeminiResponseWalk.isNumber(data[start])
                ? StrictJson.NOT_NOTING.value(data, start, to, 0)
                : -1;
        if (valueEnd < 0
            || kind == USAGE_NUMBER && !GeminiResponseWalk.fitsLong(data, start, valueEnd)) {
          return -1;
        }
      }
      if (valueEnd < 0) {
        return -1;
      }
      i = valueEnd;
      k = noted[4 * j + 1];
      j++;
    }
    if (modelStart >= 0 && !GeminiResponseWalk.plainAscii(data, modelStart + 1, modelEnd - 1)) {
      return -1;
    }
    foundModelStart = modelStart;
    foundModelEnd = modelEnd;
    foundFinished = finished;
    return end;
  }

  /**
   * Learns what {@link #likeKept} found last in {@code data}: the template's model or the one the
   * response names, its counts (made a usage when asked for), and the end when a finish reason was
   * added.
   */
  private void learnLikeKept(ResponseReadout readout, byte[] data) {
    String model = keptModel;
    int modelStart = foundModelStart;
    if (modelStart >= 0) {
      int modelEnd = foundModelEnd;
      model =
          GeminiResponseWalk.sameAscii(readout.model(), data, modelStart + 1, modelEnd - 1)
              ? null
              : new String(
                  data, modelStart + 1, modelEnd - modelStart - 2, StandardCharsets.US_ASCII);
    }
    readout.learnUsage(model, null);
    if (foundFinished && keptUnfinished == 1) {
      readout.markComplete();
    }
    if (keptAny) {
      // usage is known (the text is not needed): the counts are made a usage when asked for
      for (int c = 0; c < GeminiResponseWalk.COUNTS; c++) {
        counts[c] = c == GeminiResponseWalk.TOTAL ? -1 : 0;
      }
      modalities[0] = 0;
      modalities[1] = 0;
      modalities[2] = 0;
      for (int v = 0; v < valueCount; v++) {
        int kind = valueKinds[v];
        if (kind < DETAIL) {
          counts[kind - COUNT] = values[v];
        } else if (kind > DETAIL) {
          int slot = kind - DETAIL - 1;
          modalities[slot] = TokenCounts.sum(modalities[slot], values[v]);
        }
      }
      if (later == null) {
        later = new CountsRead();
      }
      later.take(counts, keptDetails ? modalities : null);
      readout.learnUsageLater(later);
    }
  }

  /**
   * The last place of the template, from {@code k} to {@code at}, where a finish reason may be
   * added ({@link #finishSlots}), or -1.
   */
  private int finishSlotAt(int k, int at) {
    for (int s = finishSlotCount - 1; s >= 0; s--) {
      int place = finishSlots[s] >> 1;
      if (place <= at) {
        return place >= k ? finishSlots[s] : -1;
      }
    }
    return -1;
  }

  private static final byte[] FINISH_REASON = ObjectMembers.quoted("finishReason");

  /**
   * Reads a candidate's {@code "finishReason":"..."} member added at {@code data[at]} where the
   * template has a candidate's closing brace ({@code close}: the member follows a comma) or one of
   * its members (the member is followed by a comma): returns the index of the byte that is the
   * template's at that place, or -1 when there is no such member or its value is not a string (the
   * response is then read whole). The string is checked as the walk checks it ({@link StrictJson}).
   */
  private static int finishReason(byte[] data, int at, int to, boolean close) {
    int i = at;
    if (close) {
      if (i >= to || data[i] != ',') {
        return -1;
      }
      i = StrictJson.skipSpace(data, i + 1, to);
    }
    if (!StrictJson.startsWith(data, i, to, FINISH_REASON)) {
      return -1;
    }
    i = StrictJson.skipSpace(data, i + FINISH_REASON.length, to);
    if (i >= to || data[i] != ':') {
      return -1;
    }
    i = StrictJson.skipSpace(data, i + 1, to);
    if (i >= to || data[i] != '"') {
      return -1;
    }
    i = StrictJson.string(data, i, to, true);
    if (i < 0) {
      return -1;
    }
    i = StrictJson.skipSpace(data, i, to);
    if (!close) {
      if (i >= to || data[i] != ',') {
        return -1;
      }
      i = StrictJson.skipSpace(data, i + 1, to);
    }
    return i;
  }

  /** Counts {@link #readLikeKept} read, as {@link GeminiFormat#usageOf} takes them. */
  private static final class CountsRead implements ResponseReadout.LaterUsage {
    private final long[] counts = new long[GeminiResponseWalk.COUNTS];
    private final long[] modalities = new long[3];
    private boolean details;

    void take(long[] read, long @Nullable [] modalitiesRead) {
      System.arraycopy(read, 0, counts, 0, counts.length);
      details = modalitiesRead != null;
      if (details) {
        System.arraycopy(modalitiesRead, 0, modalities, 0, modalities.length);
      }
    }

    @Override
    public Usage usage(Usage previous) {
      return GeminiFormat.usageOf(counts, details ? modalities : null, previous);
    }
  }
}
