package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.aigateway.api.Usage;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Reads what a chat stream chunk says about usage and model from its bytes, without a parser, when
 * it certainly carries no usage, or is the chunk that reports usage and nothing else; any other
 * chunk is left to Jackson.
 *
 * <p>Such a chunk is one JSON object that {@link StrictJson} accepts, whose top-level names are
 * written without escapes (an escaped one could spell {@code usage}), whose model, if it is text,
 * is written without escapes ({@link TopLevelMembers}), and whose top-level usage members are all
 * null; or, for the chunk reporting usage, which has one usage member, an object that {@link
 * UsageBytes} reads, and {@code choices} that are all empty arrays. For it, {@link #read} gives
 * what {@link ResponseReadout#readChunk} would have learnt: where its first null usage value is
 * (for {@link UsageMember#noteNull}) or its {@link #usage()}, and its {@link #model()}.
 *
 * <p>The last chunk checked whole is kept, with where its value strings and numbers lie. A later
 * chunk that differs from it only inside value strings and numbers, as the chunks of one answer do
 * (the text, an obfuscation pad), has the same members in the same places and is as well-formed
 * once those values are: it is compared with the one kept, not checked whole. One instance serves
 * one stream; once {@value #GIVE_UP} chunks in a row were left to Jackson (a backend that writes
 * names or models with escapes, say), it leaves all the others to Jackson at once too.
 *
 * <p>The chunks kept are also offered to the streams that come after, on any thread, as {@linkplain
 * #TEMPLATES templates}: a stream's first chunk, its first chunk of text and its finish chunk each
 * differ from the chunk before in their structure, but are like the same chunks of the streams
 * before (another id, creation time, model or text), so they are compared with those instead of
 * being checked whole. A template is never changed once offered.
 */
final class ChatChunkScanner {

  /** {@link #read} when the chunk may carry usage, or is not such a chunk: parse it. */
  static final int OTHER = -2;

  /** {@link #read} when the chunk has no top-level usage member. */
  static final int NO_USAGE = -1;

  /**
   * {@link #read} when the chunk is the one that reports usage: one top-level usage member, an
   * object, which is {@link #usage()}, and {@code choices}, all empty arrays.
   */
  static final int USAGE_ONLY = -3;

  /** Chunks in a row left to Jackson after which no chunk is read here any more. */
  static final int GIVE_UP = 4;

  /**
   * Chunks kept by the streams read so far, on any thread, offered to the streams after them as
   * templates ({@link #read}): a few, each at most {@link StrictJson#MAX_LENGTH} bytes; a new one
   * takes the place of the oldest.
   */
  private static final AtomicReferenceArray<Kept> TEMPLATES = new AtomicReferenceArray<>(4);

  /** The slot the next template takes (racy: any slot will do). */
  private static int nextTemplate;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final StrictJson strict = StrictJson.notingNumbers();
  private final TopLevelMembers top = new TopLevelMembers(strict);

  /** The model of the chunk read last, and its usage when it reports usage. */
  private String model;

  private Usage reported;
  private int leftInARow;

  /** The chunk kept, or null before there is one. */
  private Kept kept;

  /**
   * A chunk kept: its bytes, where its value strings and numbers lie, what its members are. Written
   * only by the stream that walked the chunk, until it is {@linkplain #shared offered} as a
   * template; never after.
   */
  private static final class Kept {

    /** Its bytes: {@code bytes[0, length)}. */
    byte[] bytes;

    int length;

    /** Per value string or number: its first byte (the opening quote of a string) and its end. */
    int[] values;

    int valueCount;

    /** Where its first top-level usage value starts, or {@link #NO_USAGE}. */
    int usage;

    /** Which value is its model, or -1; and the model. */
    int modelValue;

    String model;

    /** Its top-level members ({@link TopLevelMembers#keepMembers}). */
    int[] members;

    int memberCount;

    /** Whether it holds a line break (one joined from several data lines can). */
    boolean lineBreak;

    /** Whether it was offered as a template: never written again. */
    boolean shared;
  }

  /** How many chunks were kept; whether the chunk read last is like the kept one. */
  private int keptCount;

  private boolean likeKept;

  /** Whether the chunk read last was found like a template, which is now the chunk kept. */
  private boolean fromTemplate;

  /** Whether the chunk being read is known to hold no line break. */
  private boolean oneLine;

  /** Where the chunk compared last ends; and how many of its first bytes are the kept one's. */
  private int end;

  private int same;

  /**
   * What {@link #match} found: how many first bytes of the chunk are the kept one's, how many of
   * them up to its first difference, how many last bytes are, and the chunk's model.
   */
  private int matchedHead;

  private int firstDifference;
  private int matchedTail;
  private String matchedModel;

  /**
   * How many last bytes of the chunk read last are those of the chunk kept, when it was compared
   * with it; -1 when it was not.
   */
  private int keptTail = -1;

  /** The same for its first bytes. */
  private int keptHead = -1;

  /** {@link #keptHead} and {@link #keptTail} for the chunk read before the one being read. */
  private int previousHead = -1;

  private int previousTail = -1;

  /** See {@link #sharedStart()}; and the two above before {@link #readLikeKept}. */
  private int sharedStart;

  private int sharedEnd;
  private int headBeforeLikeKept;
  private int tailBeforeLikeKept;

  /**
   * Reads the chunk {@code json[from, to)}. Returns {@link #OTHER} when it is not a chunk read here
   * (see above); {@link #USAGE_ONLY} for the chunk reporting usage; else where its first top-level
   * usage value starts (all of them are null), or {@link #NO_USAGE}. Its model is then {@link
   * #model()}.
   */
  int read(byte[] json, int from, int to) {
    return read(json, from, to, false);
  }

  /**
   * As {@link #read(byte[], int, int)}; {@code oneLine} when the chunk is known to hold no line
   * break (the one data line of an event, found in place), so that it is not looked for.
   */
  int read(byte[] json, int from, int to, boolean oneLine) {
    this.oneLine = oneLine;
    likeKept = false;
    sharedStart = 0;
    sharedEnd = 0;
    if (leftInARow >= GIVE_UP || to - from > StrictJson.MAX_LENGTH) {
      keptHead = -1;
      keptTail = -1;
      return OTHER;
    }
    fromTemplate = false;
    int usage = compare(json, from, to, false);
    if (usage != OTHER) {
      likeKept = true;
    } else if ((usage = likeTemplate(json, from, to)) == OTHER) {
      usage = checkWhole(json, from, to);
    }
    leftInARow = usage == OTHER ? leftInARow + 1 : 0;
    return usage;
  }

  /**
   * Reads, as {@link #read}, a chunk that starts at {@code json[from]} and whose end is not known:
   * one that differs from the chunk kept only inside value strings, so that it ends where the kept
   * one does, at {@link #end()}. Neither the kept chunk nor a string accepted here holds a line
   * break, so neither does the chunk: a caller that finds its line ending at {@link #end()} found
   * its line without scanning it. Returns {@link #OTHER} for any other chunk, or when {@code
   * json[from, to)} does not hold it all, which does not count as left to Jackson.
   */
  int readLikeKept(byte[] json, int from, int to) {
    same = 0;
    sharedStart = 0;
    sharedEnd = 0;
    headBeforeLikeKept = keptHead;
    tailBeforeLikeKept = keptTail;
    fromTemplate = false;
    if (leftInARow >= GIVE_UP || kept == null || kept.lineBreak) {
      return OTHER;
    }
    int usage = compare(json, from, to, true);
    if (usage == OTHER) {
      forgetLikeKept(); // as if not read: the caller reads it as any other
    } else {
      leftInARow = 0;
    }
    likeKept = usage != OTHER;
    return usage;
  }

  /**
   * Forgets the chunk {@link #readLikeKept} read last, which the caller found not to be a chunk
   * after all (its line goes on), so that it is read as any other.
   */
  void forgetLikeKept() {
    likeKept = false;
    keptHead = headBeforeLikeKept;
    keptTail = tailBeforeLikeKept;
    sharedStart = 0;
    sharedEnd = 0;
  }

  /**
   * Whether the chunk read last was found like the chunk kept (it differs from it only inside value
   * strings and numbers), rather than checked whole or found like a template: every byte of it
   * outside those values is then the kept chunk's, in the same order.
   */
  boolean likeKept() {
    return likeKept;
  }

  /**
   * Whether the chunk read last was found like a {@linkplain #TEMPLATES template}, which is now the
   * chunk kept (a new one, as after a chunk checked whole).
   */
  boolean fromTemplate() {
    return fromTemplate;
  }

  /** Forgets the templates that streams offered (tests). */
  static void forgetTemplates() {
    for (int i = 0; i < TEMPLATES.length(); i++) {
      TEMPLATES.set(i, null);
    }
  }

  /** How many chunks were kept so far: which chunk {@link #likeKept()} speaks of. */
  int keptCount() {
    return keptCount;
  }

  /**
   * How many first bytes of the chunk {@link #readLikeKept} found not like the kept one are the
   * kept chunk's (0 when none are known to be): they hold no line break, as the kept chunk holds
   * none.
   */
  int sameAsKept() {
    return same;
  }

  /** The length of the chunk kept, or -1 before there is one. */
  int keptLength() {
    return kept == null ? -1 : kept.length;
  }

  /**
   * How many first bytes the chunk read last is known to share with the chunk read before it: when
   * both were compared with the same kept chunk and differ from it only after their first bytes (as
   * the chunks of an answer do); else 0.
   */
  int sharedStart() {
    return sharedStart;
  }

  /** As {@link #sharedStart()}, for the last bytes. */
  int sharedEnd() {
    return sharedEnd;
  }

  /** Where the chunk {@link #readLikeKept} read ends. */
  int end() {
    return end;
  }

  /**
   * The model of the chunk {@link #read} last, as {@link ResponseReadout#readChunk} reads it: the
   * last top-level model member's text, or null when there is none or it is not text.
   */
  String model() {
    return model;
  }

  /**
   * The usage of the chunk {@link #read} last, when it returned {@link #USAGE_ONLY}, as {@link
   * ResponseReadout#parseUsage} reads it (null when it holds no count).
   */
  Usage usage() {
    return reported;
  }

  /**
   * Checks the chunk whole and keeps it; returns where its first top-level usage value starts,
   * {@link #NO_USAGE}, {@link #USAGE_ONLY}, or {@link #OTHER}.
   */
  private int checkWhole(byte[] json, int from, int to) {
    strict.forgetStrings();
    if (!(same > 0
        ? top.walkLikeKept(json, from, to, same, kept.members, kept.memberCount)
        : top.walk(json, from, to))) {
      return OTHER;
    }
    if (!top.usagesNull()) {
      return usageOnly(json, to);
    }
    model = top.model();
    int usage = top.usages() > 0 ? top.firstUsage() : NO_USAGE;
    shareWithPrevious(json, from, to);
    keep(json, from, to, usage, top.modelValue());
    return usage;
  }

  /**
   * Notes what the chunk {@code json[from, to)}, not like the kept one, shares with the chunk read
   * before it, when that one was compared with the kept one too: what both share with it, they
   * share with each other.
   */
  private void shareWithPrevious(byte[] json, int from, int to) {
    if (previousHead >= 0) {
      int tail =
          DeferredChunks.commonEnd(
              kept.bytes, kept.length, json, to, Math.min(kept.length, to - from));
      sharedStart = Math.min(previousHead, same);
      sharedEnd = Math.min(previousTail, tail);
    }
  }

  /**
   * Compares the chunk {@code json[from, to)}, not like the kept one, with the {@linkplain
   * #TEMPLATES templates}: if it is like one of them, that one is now the chunk kept, and the chunk
   * is read as a chunk like the kept one is. Returns what {@link #read} does then, or {@link
   * #OTHER} when it is like none (nothing was changed).
   */
  private int likeTemplate(byte[] json, int from, int to) {
    if (to - from < Long.BYTES) {
      return OTHER;
    }
    long last = (long) LONGS.get(json, to - Long.BYTES);
    for (int i = 0; i < TEMPLATES.length(); i++) {
      Kept template = TEMPLATES.get(i);
      // Chunks of one kind end alike: a template whose last bytes differ is not compared.
      if (template == null
          || template == kept
          || template.length < Long.BYTES
          || (long) LONGS.get(template.bytes, template.length - Long.BYTES) != last) {
        continue;
      }
      int usage = match(template, json, from, to, false);
      if (usage != OTHER) {
        shareWithPrevious(json, from, to);
        kept = template;
        keptCount++;
        keptHead = matchedHead;
        keptTail = matchedTail;
        model = matchedModel;
        fromTemplate = true;
        return usage;
      }
    }
    return OTHER;
  }

  /**
   * The chunk that reports usage and has no choices, read without a parser when it has one usage
   * member, an object {@link UsageBytes} reads; not kept (it comes once).
   */
  private int usageOnly(byte[] json, int to) {
    if (top.usages() != 1 || json[top.firstUsage()] != '{' || !top.choicesEmpty()) {
      return OTHER;
    }
    Usage read = top.usage(json, top.firstUsage(), to);
    if (read == UsageBytes.UNREAD) {
      return OTHER;
    }
    model = top.model();
    reported = read;
    return USAGE_ONLY;
  }

  /**
   * Keeps the chunk {@code json[from, to)}, walked whole, or from {@link
   * TopLevelMembers#resumedAt()}: the values before that are the kept chunk's. The chunk is then
   * offered as a template, unless it holds a line break.
   */
  private void keep(byte[] json, int from, int to, int usage, int modelValue) {
    Kept before = kept;
    Kept chunk = before != null && !before.shared ? before : new Kept();
    int resumed = top.resumedAt() - from;
    int kept = 0; // values of the chunk before that this one has too
    while (before != null && kept < before.valueCount && before.values[2 * kept] < resumed) {
      kept++;
    }
    int length = to - from;
    chunk.members = top.keepMembers(from, chunk.members);
    chunk.memberCount = top.memberCount();
    chunk.length = length;
    keptHead = length; // the chunk kept is all the kept one's
    keptTail = length;
    if (chunk.bytes == null || chunk.bytes.length < length) {
      chunk.bytes = new byte[Math.max(length, chunk.bytes == null ? 0 : chunk.bytes.length * 2)];
    }
    System.arraycopy(json, from, chunk.bytes, 0, length);
    chunk.lineBreak = !oneLine && SseBody.indexOfLineEnd(chunk.bytes, 0, length) >= 0;
    keptCount++;
    int count = kept + strict.stringCount();
    if (chunk.values == null || chunk.values.length < count * 2) {
      int[] values =
          new int[Math.max(count * 2, chunk.values == null ? 16 : chunk.values.length * 2)];
      if (chunk != before && kept > 0) {
        System.arraycopy(before.values, 0, values, 0, 2 * kept);
      } else if (kept > 0) {
        System.arraycopy(chunk.values, 0, values, 0, 2 * kept);
      }
      chunk.values = values;
    } else if (chunk != before && kept > 0) {
      System.arraycopy(before.values, 0, chunk.values, 0, 2 * kept);
    }
    int[] values = chunk.values;
    chunk.valueCount = count;
    int[] found = strict.strings();
    for (int k = kept; k < count; k++) {
      values[2 * k] = found[2 * (k - kept)] - from;
      values[2 * k + 1] = found[2 * (k - kept) + 1] - from;
    }
    chunk.modelValue = -1;
    if (modelValue >= 0 && json[modelValue] == '"') { // a model that is not text is no value here
      for (int k = 0; k < count; k++) {
        if (values[2 * k] == modelValue - from) {
          chunk.modelValue = k;
        }
      }
    }
    chunk.usage = usage < 0 ? NO_USAGE : usage - from;
    chunk.model = model;
    this.kept = chunk;
    if (!chunk.lineBreak) {
      chunk.shared = true; // the next chunk kept is another
      int slot = nextTemplate;
      nextTemplate = (slot + 1) % TEMPLATES.length();
      TEMPLATES.set(slot, chunk);
    }
  }

  /**
   * Compares the chunk starting at {@code json[from]} with the one kept, in {@code json[from, to)}.
   * Returns {@link #OTHER} unless it differs only inside value strings and numbers, as {@link
   * #match} finds; if it does, where its first top-level usage value starts, or {@link #NO_USAGE},
   * and it ends at {@link #end}: at {@code to} unless {@code open}, when the chunk's end is not
   * known and bytes after it may follow.
   */
  private int compare(byte[] json, int from, int to, boolean open) {
    previousHead = keptHead;
    previousTail = keptTail;
    keptHead = -1;
    keptTail = -1;
    same = 0;
    if (kept == null) {
      return OTHER;
    }
    int usage = match(kept, json, from, to, open);
    same = firstDifference;
    if (usage == OTHER) {
      return OTHER;
    }
    sharedStart = previousHead < 0 ? 0 : Math.min(previousHead, matchedHead);
    sharedEnd = previousTail < 0 ? 0 : Math.min(previousTail, matchedTail);
    keptHead = matchedHead;
    keptTail = matchedTail;
    model = matchedModel;
    return usage;
  }

  /**
   * Compares the chunk starting at {@code json[from]} with {@code chunk}, kept, in {@code
   * json[from, to)}. Returns {@link #OTHER} unless it differs only inside value strings, each
   * accepted by {@link StrictJson#string} (and the model's without escapes), and value numbers,
   * each accepted by {@link StrictJson#number}; if it does, where its first top-level usage value
   * starts, or {@link #NO_USAGE}, and it ends at {@link #end}: at {@code to} unless {@code open}.
   * Notes in {@link #firstDifference} how many first bytes are the kept chunk's (whatever it
   * returns), and, when it is like it, {@link #matchedHead}, {@link #matchedTail} and {@link
   * #matchedModel}.
   */
  private int match(Kept chunk, byte[] json, int from, int to, boolean open) {
    byte[] kept = chunk.bytes;
    int keptLength = chunk.length;
    int[] values = chunk.values;
    int valueCount = chunk.valueCount;
    int keptUsage = chunk.usage;
    String chunkModel = chunk.model;
    int p = 0; // in the chunk kept
    int c = from; // the same place in this chunk
    int usage = keptUsage < 0 ? NO_USAGE : OTHER;
    int k = 0;
    firstDifference = 0;
    for (int m;
        (m = Arrays.mismatch(kept, p, keptLength, json, c, Math.min(to, c + keptLength - p)))
            >= 0; ) {
      int at = p + m;
      if (p == 0) {
        firstDifference = at;
      }
      // The value the difference is in: a string after its opening quote; a number from its
      // first byte to the byte after it (a number may go on where the kept one ended).
      while (k < valueCount
          && (values[2 * k + 1] < at || values[2 * k + 1] == at && kept[values[2 * k]] == '"')) {
        k++;
      }
      if (k == valueCount) {
        return OTHER; // the difference is not inside a value
      }
      int start = values[2 * k];
      boolean string = kept[start] == '"';
      if (string ? start >= at : start > at) {
        return OTHER; // the difference is not inside a value
      }
      int quote = c + start - p;
      if (usage == OTHER && keptUsage < start) {
        usage = keptUsage + c - p;
      }
      int valueEnd =
          string
              ? StrictJson.string(json, quote, to, k != chunk.modelValue)
              : StrictJson.number(json, quote, to);
      if (valueEnd < 0) {
        return OTHER;
      } else if (k == chunk.modelValue) {
        chunkModel = new String(json, quote + 1, valueEnd - quote - 2, UTF_8);
      }
      p = values[2 * k + 1];
      c = valueEnd;
      k++;
    }
    end = c + keptLength - p;
    if (open ? end - from > StrictJson.MAX_LENGTH : end != to) {
      return OTHER;
    }
    matchedHead = p == 0 ? keptLength : firstDifference; // the kept chunk's up to a difference
    matchedTail = keptLength - p;
    matchedModel = chunkModel;
    return usage == OTHER ? keptUsage + c - p : usage;
  }
}
