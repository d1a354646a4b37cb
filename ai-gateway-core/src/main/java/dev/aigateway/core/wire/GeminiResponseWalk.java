package dev.aigateway.core.wire;

import dev.aigateway.api.Usage;
import dev.aigateway.core.tokens.TokenCounts;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Reads one Gemini {@code GenerateContentResponse} on its bytes in one pass, as {@link
 * GeminiFormat#readResponse} reads it with Jackson's parser: its {@code modelVersion}, the counts
 * of its {@code usageMetadata} (with the {@code AUDIO} and {@code IMAGE} details), whether a
 * candidate finished (every one of them) or the prompt was blocked, and where its candidates' text
 * lies. Every value is checked as it is passed ({@link StrictJson}: RFC 8259 and well-formed
 * UTF-8), nested values once, so an accepted response is one the parser reads without error.
 *
 * <p>It accepts only what it reads exactly as the parser does: no escaped names, no member the
 * parser reads twice ({@code candidates}, {@code usageMetadata}, {@code modelVersion}, {@code
 * promptFeedback}, and the counts, details and text-bearing members under them), counts written as
 * plain whole numbers of up to 18 digits (not as strings, {@code "12"}, which the parser reads), a
 * model name of plain ASCII, and no value of a kind the parser would read on into ({@code
 * candidates} an object, a candidate that is not an object, a {@code finishReason} that is an
 * object or an array, ...). For anything else {@link #walk} or {@link #learn} says no, having
 * learnt nothing, and the caller leaves the response to the parser.
 *
 * <p>One instance per body; it serves one thread.
 */
final class GeminiResponseWalk {

  /** The counts of {@code usageMetadata}, in the order {@link GeminiFormat#usageOf} takes them. */
  static final int COUNTS = 6;

  /** Index of {@code totalTokenCount} among the counts. */
  static final int TOTAL = 5;

  private static final int NOTHING = -1;
  private static final int CANDIDATES = 0;
  private static final int USAGE = 1;
  private static final int MODEL = 2;
  private static final int RESPONSE_ID = 3;
  private static final int FEEDBACK = 4;
  private static final int ERROR = 5;

  /**
   * The top level's names, in the order Google writes them: those read, {@code responseId}, passed
   * over as any other name but not scanned, and {@code error}, Google's error in place of a
   * response, which the walk leaves to the parser ({@link GeminiFormat#readResponse} notes it).
   */
  private static final Names TOP =
      new Names(
          "candidates", "usageMetadata", "modelVersion", "responseId", "promptFeedback", "error");

  /**
   * The names of {@code usageMetadata} read, in the order Google writes them; {@link #USAGE_KINDS}
   * says what each is.
   */
  private static final Names USAGE_NAMES =
      new Names(
          "promptTokenCount",
          "candidatesTokenCount",
          "totalTokenCount",
          "promptTokensDetails",
          "cachedContentTokenCount",
          "thoughtsTokenCount",
          "toolUsePromptTokenCount",
          "toolUsePromptTokensDetails",
          "candidatesTokensDetails");

  /**
   * Per name of {@link #USAGE_NAMES}: the index of its count in {@link #counts} (the order {@link
   * GeminiFormat#usageOf} takes them), or for a details array {@link #COUNTS} plus 0 (prompt), 1
   * (tool-use prompt) or 2 (candidates).
   */
  private static final int[] USAGE_KINDS = {0, 1, TOTAL, COUNTS, 4, 2, 3, COUNTS + 1, COUNTS + 2};

  /**
   * The names of a candidate, of a content, of a part, of {@code promptFeedback} and of a details
   * element, in the order Google writes them: those read, and some passed over as any other name
   * but not scanned ({@code index}, {@code role}).
   */
  private static final Names CANDIDATE_NAMES = new Names("content", "finishReason", "index");

  private static final Names CONTENT_NAMES = new Names("parts", "role");
  private static final Names PART_NAMES = new Names("text");
  private static final Names FEEDBACK_NAMES = new Names("blockReason");
  private static final Names DETAIL_NAMES = new Names("modality", "tokenCount");
  private static final byte[] AUDIO = ObjectMembers.quoted("AUDIO");
  private static final byte[] IMAGE = ObjectMembers.quoted("IMAGE");

  private static final StrictJson VALUES = StrictJson.NOT_NOTING;

  // What the last walk read.

  /** The {@code modelVersion} string (its quotes included), or -1 when there is none. */
  private int modelStart;

  private int modelEnd;

  /** Where the {@code usageMetadata} object lies, or -1 when it is not an object. */
  private int usageFrom;

  private int usageTo;

  /** Whether {@code usageMetadata} held a count. */
  private boolean any;

  private final long[] counts = new long[COUNTS];

  /** Where each count's number starts, or -1. */
  private final int[] countAt = new int[COUNTS];

  /**
   * The {@code AUDIO} input, {@code IMAGE} input and {@code AUDIO} output counts of the details.
   */
  private final long[] modalities = new long[3];

  private boolean details;

  /** Per details {@code tokenCount} number: where it starts, then its modality slot or -1. */
  private int[] detailCounts = new int[8];

  private int detailCount;

  /** Whether the last walk's prompt was blocked ({@code promptFeedback.blockReason}). */
  private boolean blocked;

  /** How many candidates the last walk read, and how many of them have a finish reason. */
  private int candidates;

  private int finishedCandidates;

  /** Per text of a part: its opening quote and its end. */
  private int[] texts = new int[8];

  private int textCount;

  /**
   * Whether the candidates' content holds what the parser, reading the text, would read otherwise
   * than a tree does (a part that is not an object, a member twice).
   */
  private boolean textOdd;

  /**
   * Whether the candidates read include one other than the first ({@code index} 0): a second
   * candidate, or one whose {@code index} is not {@code 0}.
   */
  private boolean otherCandidate;

  /**
   * Walks the response that starts at {@code data[from]} (after whitespace) and ends before {@code
   * to} at the latest: returns the index after its closing brace, or -1 when it is not one read
   * here (or does not end before {@code to}). What it read is then learnt with {@link #learn}.
   */
  int walk(byte[] data, int from, int to) {
    modelStart = -1;
    usageFrom = -1;
    any = false;
    details = false;
    detailCount = 0;
    blocked = false;
    candidates = 0;
    finishedCandidates = 0;
    textCount = 0;
    textOdd = false;
    otherCandidate = false;
    passedCount = 0;
    finishSlotCount = 0;
    int i = skipSpace(data, from, to);
    if (i >= to || data[i] != '{') {
      return -1;
    }
    i = skipSpace(data, i + 1, to);
    if (i < to && data[i] == '}') {
      return i + 1;
    }
    int seen = 0;
    int expected = 0;
    while (true) {
      int v = memberValue(data, i, to, TOP, expected);
      if (v < 0) {
        return -1;
      }
      if (nameIndex == ERROR) {
        return -1; // an error, not a response: read by the parser
      }
      int name = nameIndex == RESPONSE_ID ? NOTHING : nameIndex;
      expected = nameIndex + 1;
      if (name != NOTHING) {
        if ((seen & (1 << name)) != 0) {
          return -1;
        }
        seen |= 1 << name;
      }
      byte first = data[v];
      boolean container = first == '{' || first == '[';
      int end;
      if (name == CANDIDATES && container) {
        end = first == '[' ? elements(data, v, to, CANDIDATE, 0) : -1;
      } else if (name == USAGE && first == '{') {
        end = usage(data, v, to);
        usageFrom = v;
        usageTo = end;
      } else if (name == MODEL && (first == '"' || container)) {
        end = first == '"' ? plainAsciiString(data, v, to) : -1;
        modelStart = v;
        modelEnd = end;
        if (end >= 0) {
          pass(v, end);
        }
      } else if (name == FEEDBACK && container) {
        end = first == '{' ? feedback(data, v, to) : -1;
      } else {
        end = skip(data, v, to, 1); // any other value: skipped, as the parser skips it
      }
      if (end < 0) {
        return -1;
      }
      i = skipSpace(data, end, to);
      if (i >= to) {
        return -1;
      } else if (data[i] == '}') {
        return i + 1;
      } else if (data[i] != ',') {
        return -1;
      }
      i = skipSpace(data, i + 1, to);
    }
  }

  /**
   * Learns what the last {@link #walk} read, as {@link GeminiFormat#readResponse} learns it: the
   * model and usage, the text when it is needed ({@link ResponseReadout#textNeeded}) and the
   * response reports no usage or the log keeps the text, and the end. Returns false, having learnt
   * nothing, when the parser would read the text otherwise than the walk noted it, or when the log
   * keeps the text and a candidate other than the first is read (the parser keeps each candidate's
   * text apart).
   */
  boolean learn(byte[] data, ResponseReadout readout) {
    boolean textNeeded = readout.textNeeded();
    if (textNeeded && (textOdd || otherCandidate && readout.keepsText())) {
      return false;
    }
    Usage usage = any ? usage(readout.usage()) : null;
    String model = null;
    if (modelStart >= 0 && !sameAscii(readout.model(), data, modelStart + 1, modelEnd - 1)) {
      model =
          new String(data, modelStart + 1, modelEnd - modelStart - 2, StandardCharsets.US_ASCII);
    }
    readout.learnUsage(model, usage);
    if (textNeeded && (usage == null || readout.keepsText())) {
      for (int t = 0; t < textCount; t++) {
        readout.appendJsonString(data, texts[2 * t], texts[2 * t + 1]);
      }
    }
    if (finished()) {
      readout.markComplete();
    }
    return true;
  }

  /** The usage of the counts read ({@link GeminiFormat#usageOf}). */
  private Usage usage(@Nullable Usage previous) {
    return GeminiFormat.usageOf(counts, details ? modalities : null, previous);
  }

  /**
   * Per value the last walk passed without walking into it, in order: its start and end. These are
   * its scalars (the counts, the text, the model, ids...) and the objects and arrays it skipped
   * whole; the objects and arrays it walked into are not, their values are.
   */
  private int @Nullable [] passed;

  private int passedCount;

  /** Whether walks note the values they pass (a document, never kept as a template, need not). */
  private boolean notesPassed = true;

  /** Makes later walks note the values they pass, or not ({@link #passedCount} 0). */
  void notePassed(boolean notes) {
    notesPassed = notes;
  }

  /** Skips the value at {@code v} ({@link StrictJson}), noting it as passed. */
  private int skip(byte[] data, int v, int to, int depth) {
    int end = VALUES.value(data, v, to, depth);
    if (end >= 0) {
      pass(v, end);
    }
    return end;
  }

  private void pass(int start, int end) {
    if (!notesPassed) {
      return;
    }
    if (passed == null) {
      passed = new int[32];
    } else if (passedCount * 2 == passed.length) {
      passed = java.util.Arrays.copyOf(passed, passed.length * 2);
    }
    passed[2 * passedCount] = start;
    passed[2 * passedCount + 1] = end;
    passedCount++;
  }

  /** How many values the last walk passed ({@link #passedStart}, {@link #passedEnd}). */
  int passedCount() {
    return passedCount;
  }

  /** Where value {@code p} the last walk passed starts. */
  int passedStart(int p) {
    return java.util.Objects.requireNonNull(passed)[2 * p];
  }

  /** Where value {@code p} the last walk passed ends. */
  int passedEnd(int p) {
    return java.util.Objects.requireNonNull(passed)[2 * p + 1];
  }

  /** Whether the last walk read a count. */
  boolean reportsUsage() {
    return any;
  }

  /** Whether the last walk read an {@code AUDIO} or {@code IMAGE} count among the details. */
  boolean hasDetails() {
    return details;
  }

  /**
   * Whether the last walk finished the answer: its prompt was blocked, or it read candidates and
   * every one of them has a finish reason. A response in which one candidate of several finished
   * does not finish the answer (with {@code candidateCount} above 1 the others go on).
   */
  boolean finished() {
    return blocked || (candidates > 0 && finishedCandidates == candidates);
  }

  /** How many candidates of the last walk have no finish reason. */
  int unfinishedCandidates() {
    return candidates - finishedCandidates;
  }

  /** The {@code modelVersion} string of the last walk (its opening quote), or -1. */
  int modelStart() {
    return modelStart;
  }

  /** Where the last walk's {@code usageMetadata} object starts, or -1. */
  int usageFrom() {
    return usageFrom;
  }

  /** Where the last walk's {@code usageMetadata} object ends. */
  int usageTo() {
    return usageTo;
  }

  /** Where count {@code k} of the last walk starts, or -1. */
  int countAt(int k) {
    return any ? countAt[k] : -1;
  }

  /** How many details {@code tokenCount} numbers the last walk read. */
  int detailCount() {
    return detailCount;
  }

  /** Where details {@code tokenCount} {@code d} starts. */
  int detailAt(int d) {
    return detailCounts[2 * d];
  }

  /** The modality slot details {@code tokenCount} {@code d} is added to, or -1. */
  int detailSlot(int d) {
    return detailCounts[2 * d + 1];
  }

  /** What {@link #elements} walks: the candidates, a content's parts, a details array. */
  private static final int CANDIDATE = 0;

  private static final int PART = 1;
  private static final int DETAIL = 2;

  /**
   * Walks the array at {@code data[at]} whose elements are of {@code kind}: candidates (the parser
   * stops at one that is not an object), parts (one that is not an object makes the text odd), or
   * details (adding their {@code AUDIO} and {@code IMAGE} counts from {@code slot}).
   */
  private int elements(byte[] data, int at, int to, int kind, int slot) {
    int i = skipSpace(data, at + 1, to);
    if (i < to && data[i] == ']') {
      return i + 1;
    }
    boolean first = true;
    while (true) {
      boolean object = i < to && data[i] == '{';
      int end;
      if (kind == CANDIDATE) {
        otherCandidate |= !first;
        first = false;
        end = object ? candidate(data, i, to) : -1;
      } else if (kind == PART) {
        textOdd |= !object; // the parser, reading the text, stops at a part that is not an object
        end = object ? part(data, i, to) : skip(data, i, to, 5);
      } else {
        end = object ? detail(data, i, to, slot) : skip(data, i, to, 3);
      }
      if (end < 0) {
        return -1;
      }
      i = skipSpace(data, end, to);
      if (i >= to) {
        return -1;
      } else if (data[i] == ']') {
        return i + 1;
      } else if (data[i] != ',') {
        return -1;
      }
      i = skipSpace(data, i + 1, to);
    }
  }

  private int candidate(byte[] data, int at, int to) {
    candidates++;
    int i = skipSpace(data, at + 1, to);
    if (i < to && data[i] == '}') {
      return i + 1;
    }
    boolean finish = false;
    boolean content = false;
    int slots = finishSlotCount;
    int expected = 0;
    while (true) {
      finishSlot(i, false);
      int v = memberValue(data, i, to, CANDIDATE_NAMES, expected);
      if (v < 0) {
        return -1;
      }
      int name = nameIndex;
      expected = name + 1;
      byte first = data[v];
      boolean container = first == '{' || first == '[';
      int end;
      if (name == 1) { // finishReason
        if (finish || container) {
          return -1; // twice, or a value the parser would read on into
        }
        finish = true;
        if (first == '"') {
          finishedCandidates++;
        }
        end = skip(data, v, to, 3);
      } else if (name == 0) { // content
        if (content) {
          return -1;
        }
        content = true;
        end = first == '{' ? content(data, v, to) : skip(data, v, to, 3);
      } else {
        end = skip(data, v, to, 3);
        // index: any value but a plain 0 may name a candidate other than the first
        otherCandidate |= name == 2 && end >= 0 && (end != v + 1 || first != '0');
      }
      i = next(data, end, to);
      if (i <= 0) {
        if (i < 0) {
          if (finish) {
            finishSlotCount = slots; // a finish reason here already: none can be added
          } else {
            finishSlot(-i - 2, true);
          }
        }
        return -i - 1;
      }
    }
  }

  /**
   * Per place of the last walk where a later response of the stream may hold a candidate's {@code
   * finishReason} that this one lacks (before each member of a candidate that has none, and at its
   * closing brace): its index times two, plus one for a closing brace.
   */
  private int @Nullable [] finishSlots;

  private int finishSlotCount;

  /** Notes a place where a finish reason may be added, when the walk notes what it passes. */
  private void finishSlot(int at, boolean close) {
    if (!notesPassed) {
      return;
    }
    int[] slots = finishSlots;
    if (slots == null) {
      slots = finishSlots = new int[4]; // a candidate's few members and its end
    } else if (finishSlotCount == slots.length) {
      slots = finishSlots = java.util.Arrays.copyOf(slots, finishSlotCount * 2);
    }
    slots[finishSlotCount++] = at << 1 | (close ? 1 : 0);
  }

  /** How many places the last walk noted where a finish reason may be added. */
  int finishSlotCount() {
    return finishSlotCount;
  }

  /**
   * Place {@code s} of the last walk where a finish reason may be added: its index times two, plus
   * one when it is a candidate's closing brace (the member then comes after a comma before it),
   * else the opening quote of a candidate's member (the member then comes before it, with a comma).
   */
  int finishSlot(int s) {
    return java.util.Objects.requireNonNull(finishSlots)[s];
  }

  private int content(byte[] data, int at, int to) {
    int i = skipSpace(data, at + 1, to);
    if (i < to && data[i] == '}') {
      return i + 1;
    }
    boolean parts = false;
    int expected = 0;
    while (true) {
      int v = memberValue(data, i, to, CONTENT_NAMES, expected);
      if (v < 0) {
        return -1;
      }
      int name = nameIndex;
      expected = name + 1;
      int end;
      if (data[v] == '[' && name == 0) { // parts
        textOdd |= parts;
        parts = true;
        end = elements(data, v, to, PART, 0);
      } else {
        if (name == 0) {
          textOdd |= parts;
          parts = true;
        }
        end = skip(data, v, to, 4);
      }
      i = next(data, end, to);
      if (i <= 0) {
        return -i - 1;
      }
    }
  }

  private int part(byte[] data, int at, int to) {
    int i = skipSpace(data, at + 1, to);
    if (i < to && data[i] == '}') {
      return i + 1;
    }
    boolean text = false;
    while (true) {
      int v = memberValue(data, i, to, PART_NAMES, 0);
      if (v < 0) {
        return -1;
      }
      boolean isText = nameIndex == 0;
      int end = skip(data, v, to, 6);
      textOdd |= isText && text; // a part's text twice: left to the parser
      text |= isText;
      if (end >= 0 && isText && data[v] == '"') {
        if (textCount * 2 == texts.length) {
          texts = java.util.Arrays.copyOf(texts, texts.length * 2);
        }
        texts[2 * textCount] = v;
        texts[2 * textCount + 1] = end;
        textCount++;
      }
      i = next(data, end, to);
      if (i <= 0) {
        return -i - 1;
      }
    }
  }

  private int feedback(byte[] data, int at, int to) {
    int i = skipSpace(data, at + 1, to);
    if (i < to && data[i] == '}') {
      return i + 1;
    }
    while (true) {
      int v = memberValue(data, i, to, FEEDBACK_NAMES, 0);
      if (v < 0) {
        return -1;
      }
      blocked |= data[v] == '"' && nameIndex == 0; // blockReason
      i = next(data, skip(data, v, to, 2), to);
      if (i <= 0) {
        return -i - 1;
      }
    }
  }

  private int usage(byte[] data, int at, int to) {
    for (int k = 0; k < COUNTS; k++) {
      counts[k] = k == TOTAL ? -1 : 0;
      countAt[k] = -1;
    }
    modalities[0] = 0;
    modalities[1] = 0;
    modalities[2] = 0;
    int i = skipSpace(data, at + 1, to);
    if (i < to && data[i] == '}') {
      return i + 1;
    }
    int seen = 0;
    int expected = 0;
    while (true) {
      int v = memberValue(data, i, to, USAGE_NAMES, expected);
      if (v < 0) {
        return -1;
      }
      expected = nameIndex + 1;
      int name = nameIndex < 0 ? NOTHING : USAGE_KINDS[nameIndex];
      if (name != NOTHING) {
        if ((seen & (1 << name)) != 0) {
          return -1; // a member twice: the parser's last one wins, left to it
        }
        seen |= 1 << name;
      }
      byte first = data[v];
      int end;
      if (first == '"' && name != NOTHING && name < COUNTS) {
        return -1; // a count written as a string ("12", proto3's JSON mapping): left to the parser
      } else if (isNumber(first) && name != NOTHING && name < COUNTS) {
        // A count must be a plain whole number, as the parser's rules ask: negative, fractional
        // or with an exponent, it is left to the parser.
        end = plainCount(data, v, to);
        if (end < 0) {
          return -1;
        }
        pass(v, end);
        counts[name] = count;
        countAt[name] = v;
        any = true;
      } else if (isNumber(first)) {
        // The parser takes every whole number of usageMetadata as a long (and fails on one that
        // does not fit).
        end = skip(data, v, to, 2);
        if (end < 0 || !fitsLong(data, v, end)) {
          return -1;
        }
      } else if (name >= COUNTS && first == '[') {
        end = elements(data, v, to, DETAIL, name == COUNTS + 2 ? 2 : 0);
      } else {
        end = skip(data, v, to, 2);
      }
      i = next(data, end, to);
      if (i <= 0) {
        return -i - 1;
      }
    }
  }

  private int detail(byte[] data, int at, int to, int slot) {
    int i = skipSpace(data, at + 1, to);
    if (i < to && data[i] == '}') {
      return i + 1;
    }
    int into = -1;
    boolean modality = false;
    int countStart = -1;
    long count = 0;
    int expected = 0;
    while (true) {
      int v = memberValue(data, i, to, DETAIL_NAMES, expected);
      if (v < 0) {
        return -1;
      }
      int name = nameIndex;
      expected = name + 1;
      if (name == 1 && data[v] == '"') {
        return -1; // a tokenCount written as a string: left to the parser
      }
      boolean plainCount = name == 1 && isNumber(data[v]);
      int end = plainCount ? plainCount(data, v, to) : skip(data, v, to, 4);
      if (end < 0) {
        return -1; // a tokenCount not a plain whole number is left to the parser
      }
      if (name == 0) { // modality
        if (modality) {
          return -1;
        }
        modality = true;
        if (data[v] == '"') {
          if (!plainAscii(data, v + 1, end - 1)) {
            return -1; // an escape could spell AUDIO: left to the parser
          }
          into = is(data, v, end, AUDIO) ? slot : is(data, v, end, IMAGE) && slot == 0 ? 1 : -1;
        }
      } else if (name == 1) { // tokenCount
        if (countStart >= 0 || count < 0) {
          return -1;
        }
        if (plainCount) {
          pass(v, end);
          count = this.count;
          countStart = v;
        } else {
          count = -1; // not a number: skipped; a second tokenCount is refused above
        }
      }
      i = next(data, end, to);
      if (i <= 0) {
        if (i == 0) {
          return -1;
        }
        break;
      }
    }
    int end = -i - 1;
    if (countStart >= 0) {
      if (detailCount * 2 == detailCounts.length) {
        detailCounts = java.util.Arrays.copyOf(detailCounts, detailCounts.length * 2);
      }
      detailCounts[2 * detailCount] = countStart;
      detailCounts[2 * detailCount + 1] = into;
      detailCount++;
    }
    if (into >= 0) {
      modalities[into] = TokenCounts.sum(modalities[into], Math.max(count, 0));
      details = true;
    }
    return end;
  }

  /** Which of the names {@link #memberValue} was given the name it read last is, or -1. */
  private int nameIndex;

  /**
   * Reads a member's name (no escape allowed) at {@code i}, noting which of {@code names} it is in
   * {@link #nameIndex}, and its colon: returns where its value starts, or -1. A name that is one of
   * {@code names} (compared with its quotes, eight bytes a step, from {@code expected}, the one
   * after the member before it, on round) is a plain string as it stands and is not scanned; any
   * other is checked by {@link StrictJson#string}.
   */
  private int memberValue(byte[] data, int i, int to, Names names, int expected) {
    if (i >= to || data[i] != '"') {
      return -1;
    }
    int index = names.at(data, i, to, expected);
    nameIndex = index;
    int nameEnd = index >= 0 ? i + names.length(index) : -1;
    if (nameEnd < 0) {
      nameEnd = StrictJson.string(data, i, to, false);
      if (nameEnd < 0) {
        return -1;
      }
    }
    int colon = skipSpace(data, nameEnd, to);
    if (colon >= to || data[colon] != ':') {
      return -1;
    }
    int v = skipSpace(data, colon + 1, to);
    return v < to ? v : -1;
  }

  /**
   * After a member's value ending at {@code end} (-1 when refused): the next member's name (a
   * positive index), or {@code -(after the closing brace) - 1} when the object closed, or 0 when
   * the object is not one read here.
   */
  private static int next(byte[] data, int end, int to) {
    if (end < 0) {
      return 0;
    }
    int i = skipSpace(data, end, to);
    if (i >= to) {
      return 0;
    } else if (data[i] == '}') {
      return -(i + 1) - 1;
    } else if (data[i] != ',') {
      return 0;
    }
    i = skipSpace(data, i + 1, to);
    return i > 0 ? i : 0;
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * Whether {@code data} holds {@code name} at {@code from} (there are that many bytes): eight
   * bytes a step, the last step overlapping the one before it.
   */
  private static boolean same(byte[] data, int from, byte[] name) {
    int length = name.length;
    if (length < Long.BYTES) {
      for (int k = 0; k < length; k++) {
        if (data[from + k] != name[k]) {
          return false;
        }
      }
      return true;
    }
    for (int k = 0; k < length - Long.BYTES; k += Long.BYTES) {
      if ((long) LONGS.get(data, from + k) != (long) LONGS.get(name, k)) {
        return false;
      }
    }
    int last = length - Long.BYTES;
    return (long) LONGS.get(data, from + last) == (long) LONGS.get(name, last);
  }

  /**
   * The names of one kind of object the walk reads, in the order Google writes them, each with its
   * quotes; and the first eight bytes of each (those of a shorter one, masked), so that most names
   * are told with one compare of eight bytes.
   */
  private static final class Names {
    private final byte[][] quoted;
    private final long[] heads;
    private final long[] masks;

    Names(String... names) {
      quoted = new byte[names.length][];
      heads = new long[names.length];
      masks = new long[names.length];
      for (int n = 0; n < names.length; n++) {
        byte[] name = ObjectMembers.quoted(names[n]);
        quoted[n] = name;
        for (int k = 0; k < Math.min(Long.BYTES, name.length); k++) {
          heads[n] |= (name[k] & 0xffL) << (8 * k);
          masks[n] |= 0xffL << (8 * k);
        }
      }
    }

    /** The length of name {@code n}, its quotes included. */
    int length(int n) {
      return quoted[n].length;
    }

    /**
     * Which of these names the string at {@code data[i]} (its opening quote) is, ending before
     * {@code to}, or -1; tried from name {@code expected} on, round.
     */
    int at(byte[] data, int i, int to, int expected) {
      int count = quoted.length;
      int n = expected < 0 || expected >= count ? 0 : expected;
      if (data.length - i < Long.BYTES) {
        for (int tried = 0; tried < count; tried++, n = n + 1 == count ? 0 : n + 1) {
          byte[] name = quoted[n];
          if (name.length <= to - i && same(data, i, name)) {
            return n;
          }
        }
        return NOTHING;
      }
      long head = (long) LONGS.get(data, i); // bytes past to, if any, are masked or not compared
      for (int tried = 0; tried < count; tried++, n = n + 1 == count ? 0 : n + 1) {
        byte[] name = quoted[n];
        if ((head & masks[n]) == heads[n]
            && name.length <= to - i
            && (name.length <= Long.BYTES || sameAfterHead(data, i, name))) {
          return n;
        }
      }
      return NOTHING;
    }

    /**
     * Whether {@code data} holds the bytes of {@code name} (longer than eight) after its first
     * eight at {@code from} (there are that many bytes): eight bytes a step, the last step
     * overlapping the one before it.
     */
    private static boolean sameAfterHead(byte[] data, int from, byte[] name) {
      int last = name.length - Long.BYTES;
      for (int k = Long.BYTES; k < last; k += Long.BYTES) {
        if ((long) LONGS.get(data, from + k) != (long) LONGS.get(name, k)) {
          return false;
        }
      }
      return (long) LONGS.get(data, from + last) == (long) LONGS.get(name, last);
    }
  }

  /** Whether {@code data[from, to)} is {@code name}. */
  private static boolean is(byte[] data, int from, int to, byte[] name) {
    return to - from == name.length && same(data, from, name);
  }

  /** The index of the first byte from {@code i} that is not JSON whitespace. */
  private static int skipSpace(byte[] data, int i, int to) {
    while (i < to && data[i] <= ' ' && StrictJson.isSpace(data[i])) {
      i++;
    }
    return i;
  }

  /** Skips a string at {@code i} that holds plain ASCII only (no escape); -1 for any other. */
  private static int plainAsciiString(byte[] data, int i, int to) {
    int end = StrictJson.string(data, i, to, false);
    return end >= 0 && plainAscii(data, i + 1, end - 1) ? end : -1;
  }

  /**
   * Whether the number {@code data[from, to)} (one {@link StrictJson} accepted) is a fraction or
   * has an exponent, or is a whole number of up to 18 digits: one the parser reads as a long
   * without failing.
   */
  static boolean fitsLong(byte[] data, int from, int to) {
    int digits = to - from;
    for (int i = from; i < to; i++) {
      byte b = data[i];
      if (b == '.' || b == 'e' || b == 'E') {
        return true;
      }
    }
    return data[from] == '-' ? digits <= 19 : digits <= 18;
  }

  static boolean isNumber(byte b) {
    return b == '-' || (b >= '0' && b <= '9');
  }

  /** The plain whole number {@code data[from, to)}, or -1 when it is not one of up to 18 digits. */
  static long wholeNumber(byte[] data, int from, int to) {
    if (to - from > 18 || to <= from) {
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
    return value;
  }

  /** The value of the count {@link #plainCount} read last. */
  private long count;

  /** The value of the count {@link #plainCount} read last. */
  long count() {
    return count;
  }

  /**
   * Reads the count at {@code data[start]} in one pass: returns where it ends, its value in {@link
   * #count()}, or -1 when it is not a plain whole number of up to 18 digits (the walk's rule: a
   * fraction, an exponent, a sign or a number {@link StrictJson} refuses is left to the parser). A
   * {@code 0} followed by digits ends after the {@code 0}, as {@link StrictJson} reads it: what
   * follows is then no comma or brace.
   */
  int plainCount(byte[] data, int start, int to) {
    long value = 0;
    int i = start;
    while (i < to && data[i] >= '0' && data[i] <= '9') {
      value = value * 10 + (data[i] - '0');
      i++;
      if (value == 0) {
        break; // a leading 0 is the whole number
      }
    }
    if (i == start || i - start > 18 || i < to && isFractionOrExponent(data[i])) {
      return -1;
    }
    count = value;
    return i;
  }

  private static boolean isFractionOrExponent(byte b) {
    return b == '.' || b == 'e' || b == 'E';
  }

  /** Whether {@code data[from, to)} is ASCII without a backslash (a string's plain inside). */
  static boolean plainAscii(byte[] data, int from, int to) {
    for (int i = from; i < to; i++) {
      if (data[i] < 0 || data[i] == '\\') {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code data[from, to)} (ASCII) spells {@code known}. */
  static boolean sameAscii(@Nullable String known, byte[] data, int from, int to) {
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
}
