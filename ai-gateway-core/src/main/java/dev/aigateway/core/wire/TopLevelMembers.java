package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.aigateway.api.Usage;
import java.util.Arrays;

/**
 * The members of a top-level JSON object that the gateway reads ({@code usage}, {@code model},
 * {@code choices}), found on the object's bytes without a parser. {@link #walk} accepts an object
 * only when {@link StrictJson} accepts it whole, its top-level names are written without escapes
 * (an escaped one could spell a name read here) and its last model, if text, is written without
 * escapes; for any other, the caller leaves the bytes to Jackson. An object with a top-level {@code
 * error} object is left to Jackson too, which notes an error reported in a 200 ({@link
 * ResponseReadout#errorAnswer}); so no chunk shape or layout learnt from a walk holds one (a {@code
 * "error":null}, which every Responses API answer carries, is walked as any member).
 *
 * <p>A walker that notes no positions (one JSON answer read) first matches the object against the
 * layout learnt from an answer walked whole before ({@link AnswerShape}): an object that matches is
 * one the walk accepts, with what it would note, found by comparing bytes and checking the values
 * alone; any other is walked whole, and may teach the layout anew.
 */
final class TopLevelMembers {

  private static final byte[] USAGE = {'"', 'u', 's', 'a', 'g', 'e', '"'};
  private static final byte[] MODEL = {'"', 'm', 'o', 'd', 'e', 'l', '"'};
  private static final byte[] CHOICES = {'"', 'c', 'h', 'o', 'i', 'c', 'e', 's', '"'};
  private static final byte[] ERROR = {'"', 'e', 'r', 'r', 'o', 'r', '"'};

  /** What a member is. */
  private static final int OTHER_MEMBER = 0;

  private static final int USAGE_MEMBER = 1;
  private static final int MODEL_MEMBER = 2;
  private static final int CHOICES_MEMBER = 3;

  /**
   * The model text read last by any walk, shared by all threads: a string is immutable, so
   * whichever one a thread sees is right for the bytes it spells, and a walk of one object (a JSON
   * answer) finds the model the answers before it named without making a string of it again.
   */
  private static volatile String recentModel;

  private final StrictJson strict;

  /** Usage members; where the first and the last one's value start; whether all are null. */
  private int usages;

  private int firstUsage;
  private int lastUsage;
  private boolean usagesNull;

  /** Whether there is a choices member, and whether every one is an empty array. */
  private boolean anyChoices;

  private boolean choicesEmpty;

  /** Where the last model's value starts, or -1; and its text when it is text. */
  private int modelValue;

  /** Where the last model's value ends. */
  private int modelEnd;

  /**
   * The usage read on the way, from a usage value laid out as OpenAI writes it ({@link
   * UsageBytes#asOpenAiWritesIt}), which needs no other check; and where that value starts, or -1.
   */
  private Usage usageRead;

  private int usageReadAt = -1;

  /**
   * Where the value {@link UsageBytes#asOpenAiWritesIt} read ends; and, after a match of the learnt
   * layout, where the usage and model lie ({@link AnswerShape#match}).
   */
  private final int[] usageEnd = new int[AnswerShape.PLACES];

  /**
   * The layout of the answer walked whole last by a walker that notes no positions (one JSON answer
   * read), shared by all threads; null until one was learnt ({@link AnswerShape}).
   */
  private static volatile AnswerShape answerShape;

  /** Answers that did not match the layout, counted loosely across threads, to learn anew. */
  private static int answerShapeMisses;

  /** Answers that do not match the layout between two learnt anew. */
  private static final int MISSES_TO_LEARN = 16;

  /** Whether the last walk matched the learnt layout instead of walking: for tests. */
  private boolean matchedShape;

  private String model;

  /**
   * Per member of the object walked last, four numbers: where the walk went on to it (after the
   * brace or comma before it), what it is ({@link #OTHER_MEMBER}, ...), where its value starts and
   * ends. Null when the walks note no positions ({@link #TopLevelMembers(StrictJson, boolean)}).
   */
  private int[] members;

  private int memberCount;

  /** The same for the object {@link #keepMembers kept}, from its start; and where it resumed. */
  private int[] keptMembers;

  private int keptMemberCount;
  private int resumedAt;

  /** The model of the object {@link #keepMembers kept}, as {@link #model()} gave it then. */
  private String keptModel;

  TopLevelMembers(StrictJson strict) {
    this(strict, true);
  }

  /**
   * Members found with {@code strict}; noting where each member lies only when {@code positions}
   * (needed to {@link #keepMembers keep} them and {@link #walkLikeKept walk like them}), not for a
   * caller that reads one object and only asks what it holds.
   */
  TopLevelMembers(StrictJson strict, boolean positions) {
    this.strict = strict;
    this.members = positions ? new int[32] : null;
  }

  /**
   * Walks the object {@code json[from, to)}; returns false when it is not one accepted here (see
   * above), and what was noted is then meaningless.
   */
  boolean walk(byte[] json, int from, int to) {
    matchedShape = false;
    if (members != null) {
      return walkWhole(json, from, to);
    }
    // One answer read: matched against the layout learnt from the answers before, else walked.
    AnswerShape shape = answerShape;
    if (shape != null && matchShape(shape, json, from, to)) {
      matchedShape = true;
      return true;
    }
    boolean walked = walkWhole(json, from, to);
    if (walked
        && usages == 1
        && usageReadAt == lastUsage
        && (modelValue < 0 || model != null)
        && to - from <= StrictJson.MAX_LENGTH
        && (shape == null || ++answerShapeMisses % MISSES_TO_LEARN == 0)) {
      AnswerShape learnt = AnswerShape.learn(json, from, to, usageEnd[0]);
      if (learnt != null) {
        answerShape = learnt;
      }
    }
    return walked;
  }

  /**
   * Notes what {@link #walkWhole} would of the object {@code json[from, to)} when it matches {@code
   * shape}; false when it does not, or its model is written with escapes (left to the walk).
   */
  private boolean matchShape(AnswerShape shape, byte[] json, int from, int to) {
    Usage usage = shape.match(json, from, to, usageEnd);
    if (usage == null) {
      return false;
    }
    forget();
    resumedAt = from;
    usages = 1;
    firstUsage = usageEnd[AnswerShape.USAGE_START];
    lastUsage = firstUsage;
    usagesNull = false;
    usageRead = usage;
    usageReadAt = firstUsage;
    anyChoices = true;
    choicesEmpty = shape.choicesEmpty();
    modelValue = usageEnd[AnswerShape.MODEL_START];
    modelEnd = usageEnd[AnswerShape.MODEL_END];
    return readModel(json, to);
  }

  /**
   * Whether the object {@code json[from, to)} just walked may say that a content filter cut it off
   * ({@link FailedAnswers#filtered(byte[], int, int)}): when it matched the layout learnt, whether
   * one of its values is the string {@code "content_filter"}, which the match noted; else whether
   * it holds that string token anywhere.
   */
  boolean mayBeFiltered(byte[] json, int from, int to) {
    return matchedShape
        ? usageEnd[AnswerShape.CONTENT_FILTER_AT] >= 0
        : FailedAnswers.holdsContentFilter(json, from, to);
  }

  /** Whether the last walk matched the layout learnt from the answers before: for tests. */
  boolean matchedShape() {
    return matchedShape;
  }

  /** Forgets the layout learnt (for tests: a walk then learns anew from the next answer). */
  static void forgetShape() {
    answerShape = null;
  }

  private boolean walkWhole(byte[] json, int from, int to) {
    forget();
    resumedAt = from;
    int i = StrictJson.skipSpace(json, from, to);
    if (i >= to || json[i] != '{') {
      return false;
    }
    return members(json, i + 1, to, true);
  }

  /**
   * Walks the object {@code json[from, to)} as {@link #walk}, knowing that its first {@code same}
   * bytes are those of the object {@link #keepMembers kept}: the members among them are noted as
   * they were, not walked again. {@link #resumedAt()} tells where the walk began.
   */
  boolean walkLikeKept(byte[] json, int from, int to, int same) {
    int resume = keptMemberCount - 1;
    while (resume > 0 && keptMembers[4 * resume] > same) {
      resume--;
    }
    if (resume <= 0) {
      return walkWhole(json, from, to);
    }
    forget();
    for (int k = 0; k < resume; k++) {
      note(
          json,
          keptMembers[4 * k] + from,
          keptMembers[4 * k + 1],
          keptMembers[4 * k + 2] + from,
          keptMembers[4 * k + 3] + from);
    }
    resumedAt = keptMembers[4 * resume] + from;
    return members(json, resumedAt, to, false);
  }

  /** Where the last walk began: the object's start, or where {@link #walkLikeKept} resumed. */
  int resumedAt() {
    return resumedAt;
  }

  /**
   * Keeps the members of the object walked last, which starts at {@code from}, and its model; for
   * members that note positions.
   */
  void keepMembers(int from) {
    keptModel = model;
    if (keptMembers == null || keptMembers.length < memberCount * 4) {
      keptMembers = new int[members.length];
    }
    for (int k = 0; k < memberCount * 4; k += 4) {
      keptMembers[k] = members[k] - from;
      keptMembers[k + 1] = members[k + 1];
      keptMembers[k + 2] = members[k + 2] - from;
      keptMembers[k + 3] = members[k + 3] - from;
    }
    keptMemberCount = memberCount;
  }

  private void forget() {
    usages = 0;
    usagesNull = true;
    anyChoices = false;
    choicesEmpty = true;
    modelValue = -1;
    memberCount = 0;
    usageReadAt = -1;
  }

  /**
   * Walks the members from {@code json[i]}, just after the opening brace ({@code first}) or a
   * comma, to the object's end, which must end the input.
   */
  private boolean members(byte[] json, int i, int to, boolean first) {
    int next = i;
    i = StrictJson.skipSpace(json, i, to);
    if (first && i < to && json[i] == '}') {
      i++;
    } else {
      while (true) {
        if (i >= to || json[i] != '"') {
          return false;
        }
        int name = i;
        int nameEnd = StrictJson.string(json, i, to, false);
        if (nameEnd < 0) {
          return false;
        }
        i = StrictJson.skipSpace(json, nameEnd, to);
        if (i >= to || json[i] != ':') {
          return false;
        }
        int value = StrictJson.skipSpace(json, i + 1, to);
        int kind = kind(json, name, nameEnd);
        if (kind == OTHER_MEMBER
            && value < to
            && json[value] == '{'
            && StrictJson.is(json, name, nameEnd, ERROR)) {
          return false; // an error reported in a success: Jackson's reading notes it
        }
        Usage usage =
            kind == USAGE_MEMBER && value < to && json[value] == '{'
                ? UsageBytes.asOpenAiWritesIt(json, value, to, usageEnd)
                : null;
        if (usage != null) {
          i = usageEnd[0]; // checked as it was read: JSON StrictJson accepts, without strings
          usageRead = usage;
          usageReadAt = value;
        } else {
          i = strict.value(json, value, to, 1);
          if (i < 0) {
            return false;
          }
        }
        note(json, next, kind, value, i);
        i = StrictJson.skipSpace(json, i, to);
        if (i < to && json[i] == '}') {
          i++;
          break;
        } else if (i >= to || json[i] != ',') {
          return false;
        }
        next = i + 1;
        i = StrictJson.skipSpace(json, next, to);
      }
    }
    if (StrictJson.skipSpace(json, i, to) != to) {
      return false;
    }
    return readModel(json, to);
  }

  /**
   * Reads the text of the model whose value is {@code json[modelValue, modelEnd)}, when it is text,
   * into {@link #model}; false when it is written with escapes.
   */
  private boolean readModel(byte[] json, int to) {
    String previous = model;
    model = null;
    if (modelValue >= 0 && json[modelValue] == '"') {
      if (modelValue < resumedAt) {
        // The model is in the members noted as the kept object's, on the same bytes, and no model
        // member follows: it is the kept object's, checked when that object was walked.
        model = keptModel;
        return true;
      }
      // Bytes that spell a model read before hold no escape (a backslash is always escaped in
      // JSON, and such a model was read from a string without escapes): no other check is due.
      if (isAscii(previous, json, modelValue + 1, modelEnd - 1)) {
        model = previous; // the model of the object walked before, as in every chunk of a stream
        return true;
      }
      String recent = recentModel;
      if (isAscii(recent, json, modelValue + 1, modelEnd - 1)) {
        model = recent; // the model another walk read last, as answer after answer names it
        return true;
      }
      if (StrictJson.string(json, modelValue, to, false) < 0) {
        return false; // written with escapes
      }
      model = new String(json, modelValue + 1, modelEnd - modelValue - 2, UTF_8);
      recentModel = model;
    }
    return true;
  }

  /** Whether {@code json[from, to)} is ASCII and spells {@code text} (false when it is null). */
  private static boolean isAscii(String text, byte[] json, int from, int to) {
    if (text == null || text.length() != to - from) {
      return false;
    }
    for (int i = from; i < to; i++) {
      if (json[i] < 0 || json[i] != text.charAt(i - from)) {
        return false;
      }
    }
    return true;
  }

  private static int kind(byte[] json, int name, int nameEnd) {
    return StrictJson.is(json, name, nameEnd, USAGE)
        ? USAGE_MEMBER
        : StrictJson.is(json, name, nameEnd, MODEL)
            ? MODEL_MEMBER
            : StrictJson.is(json, name, nameEnd, CHOICES) ? CHOICES_MEMBER : OTHER_MEMBER;
  }

  /**
   * Notes the member the walk went on to at {@code next}, of that {@code kind}, whose value is
   * {@code json[value, end)}.
   */
  private void note(byte[] json, int next, int kind, int value, int end) {
    if (members != null) {
      if (memberCount * 4 == members.length) {
        members = Arrays.copyOf(members, members.length * 2);
      }
      members[memberCount * 4] = next;
      members[memberCount * 4 + 1] = kind;
      members[memberCount * 4 + 2] = value;
      members[memberCount * 4 + 3] = end;
    }
    memberCount++;
    if (kind == USAGE_MEMBER) {
      if (usages++ == 0) {
        firstUsage = value;
      }
      lastUsage = value;
      usagesNull &= json[value] == 'n';
    } else if (kind == MODEL_MEMBER) {
      modelValue = value;
      modelEnd = end;
    } else if (kind == CHOICES_MEMBER) {
      anyChoices = true;
      choicesEmpty &= json[value] == '[' && StrictJson.skipSpace(json, value + 1, end) == end - 1;
    }
  }

  /**
   * The usage of the object value at {@code value} (a usage member's), as {@link UsageBytes#read}
   * reads it: read already when the walk found it laid out as OpenAI writes it.
   */
  Usage usage(byte[] json, int value, int to) {
    return value == usageReadAt ? usageRead : UsageBytes.read(json, value, to);
  }

  /** How many top-level usage members there are. */
  int usages() {
    return usages;
  }

  /** Where the first usage value starts. */
  int firstUsage() {
    return firstUsage;
  }

  /** Where the last usage value starts. */
  int lastUsage() {
    return lastUsage;
  }

  /** Whether every usage value is null (true when there is none). */
  boolean usagesNull() {
    return usagesNull;
  }

  /** Whether there is a {@code choices} member and every one is an empty array. */
  boolean choicesEmpty() {
    return anyChoices && choicesEmpty;
  }

  /** Where the last model member's value starts, or -1 when there is none. */
  int modelValue() {
    return modelValue;
  }

  /** The last model member's text; null when there is none or it is not text. */
  String model() {
    return model;
  }
}
