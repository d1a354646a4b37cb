package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.aigateway.api.Usage;
import java.util.Arrays;

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
 * <p>The last chunk checked whole is kept, with where its value strings lie. A later chunk that
 * differs from it only inside value strings, as the chunks of one answer do (the text, an
 * obfuscation pad), has the same members in the same places and is as well-formed once those
 * strings are: it is compared with the one kept, not checked whole. One instance serves one stream;
 * once {@value #GIVE_UP} chunks in a row were left to Jackson (a backend that writes names or
 * models with escapes, say), it leaves all the others to Jackson at once too.
 *
 * <p>A chunk that is not like the one kept (the first of a stream, its first text, its finish and
 * usage chunks) is looked up in the shapes that the scanners of every stream learnt from the chunks
 * they walked ({@link ChunkShapes}, {@link ChunkShape}): one that matches is read from its shape,
 * as the walk would have read it, and kept; any other is walked, and its shape learnt.
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

  /** Chunks in a row not found by a learnt shape after which shapes are not looked up any more. */
  static final int SHAPE_MISSES = 8;

  /** The shapes learnt by the scanners of every stream, unless a scanner is given others. */
  private static final ChunkShapes SHARED_SHAPES = new ChunkShapes();

  /**
   * The walk of a chunk checked whole, and what it noted; made at the first walk (a stream whose
   * chunks all match a learnt shape or the kept chunk walks none).
   */
  private StrictJson strict;

  private TopLevelMembers top;

  /** The learnt shapes looked up and taught; null to walk every chunk not like the kept one. */
  private final ChunkShapes shapes;

  /**
   * Where {@link EventShapes.Shape#match} puts its shifts: sized for the shapes learnt when a chunk
   * is looked up ({@link ChunkShapes#room}), a chat chunk's dozen values rather than {@value
   * EventShapes#MAX_HOLES}.
   */
  private int[] shifts = NO_STRINGS;

  /** The shape of the chunk found or learnt last, whose successor is looked up first; or null. */
  private ChunkShape lastShape;

  /** Chunks checked whole in a row that no learnt shape matched. */
  private int shapeMisses;

  /** Whether the chunk read last was read by a learnt shape. */
  private boolean byShape;

  /**
   * The shape {@link #shapeEnd} found last, its shifts in {@link #shifts}, for the chunk {@code
   * foundIn[foundFrom, foundTo)}; null when none, or once a chunk was read.
   */
  private ChunkShape found;

  private byte[] foundIn;
  private int foundFrom;
  private int foundTo;

  /**
   * Whether the last call was {@link #readLikeKept}, which compared its chunk with the kept one and
   * found it not like it; false once any chunk is read.
   */
  private boolean comparedUnlike;

  /**
   * Whether the chunk kept was walked (so that {@link TopLevelMembers} holds its members, and a
   * chunk that shares its first bytes can be walked from where they end), not found by a shape.
   */
  private boolean keptWalked;

  /** The model of the chunk read last, and its usage when it reports usage. */
  private String model;

  private Usage reported;
  private int leftInARow;

  /**
   * The arrays of the chunk kept, given back by a stream read to its end for the next stream's
   * scanner ({@link #giveBack}): an instance's arrays grow to its stream's longest chunk and
   * strings, which the next stream's chunks are like.
   */
  private static final SparePool<Spares> SPARES = new SparePool<>();

  /** The most bytes of kept chunk and string ends a scanner gives back; larger ones are dropped. */
  static final int MOST_KEPT_SPARE = 16 << 10;

  /** {@link #kept} and {@link #strings}, between streams. */
  private static final class Spares {
    byte[] kept;
    int[] strings;
  }

  /** The spares taken at the first chunk kept, to give back with the arrays; null when none. */
  private Spares spares;

  /** What {@link #kept} and {@link #strings} are before a chunk is kept: never written. */
  private static final byte[] NO_BYTES = {};

  private static final int[] NO_STRINGS = {};

  /** The chunk kept: its bytes; -1 as its length before there is one. */
  private byte[] kept = NO_BYTES;

  private int keptLength = -1;

  /** Per value string of the chunk kept: its opening quote and its end. */
  private int[] strings = NO_STRINGS;

  private int stringCount;

  /** Where the first top-level usage value of the chunk kept starts, or {@link #NO_USAGE}. */
  private int keptUsage;

  /** Whether the chunk kept holds a line break (one joined from several data lines can). */
  private boolean keptHasLineBreak;

  /** How many chunks were kept; whether the chunk read last is like the kept one. */
  private int keptCount;

  private boolean likeKept;

  /** Whether the chunk being read is known to hold no line break. */
  private boolean oneLine;

  /** Where the chunk compared last ends; and how many of its first bytes are the kept one's. */
  private int end;

  private int same;

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

  /** See {@link #sharedStart()}. */
  private int sharedStart;

  private int sharedEnd;

  /** Which value string of the chunk kept is its model, or -1; and the model. */
  private int keptModelString;

  private String keptModel;

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
    comparedUnlike = false;
    likeKept = false;
    byShape = false;
    ChunkShape shapeFound =
        found != null && foundIn == json && foundFrom == from && foundTo == to ? found : null;
    found = null;
    sharedStart = 0;
    sharedEnd = 0;
    if (leftInARow >= GIVE_UP || to - from > StrictJson.MAX_LENGTH) {
      keptHead = -1;
      keptTail = -1;
      return OTHER;
    }
    int usage = compare(json, from, to, false);
    if (usage == OTHER) {
      usage = checkWhole(json, from, to, shapeFound);
    } else {
      likeKept = true;
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
    byShape = false;
    found = null;
    same = 0;
    sharedStart = 0;
    sharedEnd = 0;
    comparedUnlike = false;
    if (leftInARow >= GIVE_UP || keptHasLineBreak) {
      return OTHER;
    }
    int usage = compare(json, from, to, true);
    if (usage == OTHER) {
      forgetLikeKept(); // as if not read: the caller reads it as any other
      comparedUnlike = true;
    } else {
      leftInARow = 0;
    }
    likeKept = usage != OTHER;
    return usage;
  }

  /**
   * Reads, as {@link #read(byte[], int, int, boolean)} with {@code oneLine} would, the chunk {@code
   * json[from, to)} whose shape {@link #shapeEnd} just found (it ends at {@code to}), which {@link
   * #readLikeKept} found not like the kept chunk just before, and which a line ending follows
   * ({@code json[to]}): from the shape found, without comparing it with the kept chunk again. Meant
   * right after those two calls, for that chunk.
   *
   * <p>That comparison would fail as the first did, at the same first difference ({@link #same}):
   * up to it both compare the same bytes; were the chunk like the kept one, compared up to {@code
   * to}, it would have been found so with the bytes after it too (the kept chunk holds no line
   * break, so a string that runs past {@code to} in one runs past it in the other); and a chunk
   * that is the kept one's start differs from it at the line ending after it either way. Any other
   * call (another chunk, no shape found, the kept chunk not compared) reads the chunk as {@link
   * #read} does.
   */
  int readShapeFound(byte[] json, int from, int to) {
    ChunkShape shape = found;
    if (shape == null || !comparedUnlike || foundIn != json || foundFrom != from || foundTo != to) {
      return read(json, from, to, true);
    }
    found = null;
    comparedUnlike = false;
    oneLine = true;
    likeKept = false;
    byShape = false;
    sharedStart = 0;
    sharedEnd = 0;
    previousHead = keptHead; // as the comparison does, which leaves same as it was
    previousTail = keptTail;
    keptHead = -1;
    keptTail = -1;
    int usage = checkWhole(json, from, to, shape);
    leftInARow = usage == OTHER ? leftInARow + 1 : 0;
    return usage;
  }

  /**
   * Where the chunk that starts at {@code json[from]} ends, when it matches a learnt shape within
   * {@code json[from, to)} (bytes after it may follow), or -1: so that a caller finds its line end
   * without scanning for it, as {@link #readLikeKept} does for a chunk like the kept one. Reads
   * nothing: the caller then {@link #read}s the chunk {@code json[from, end)} if it is one, which
   * takes the shape found here, or calls {@link #forgetShapeFound}. Meant after {@link
   * #readLikeKept} found the chunk not like the kept one.
   */
  int shapeEnd(byte[] json, int from, int to) {
    found = null;
    if (shapes == null
        || shapeMisses >= SHAPE_MISSES
        || leftInARow >= GIVE_UP
        || from == to
        || json[from] != '{' && !StrictJson.isSpace(json[from])) {
      // Every shape is of an object a walk accepted, so it starts with a brace or a space: a
      // value starting otherwise (a stream's [DONE]) matches none, and none is looked at.
      return -1;
    }
    shifts = shapes.room(shifts);
    ChunkShape shape =
        shapes.findEnd(json, from, Math.min(to, from + StrictJson.MAX_LENGTH), lastShape, shifts);
    if (shape == null) {
      return -1;
    }
    found = shape;
    foundIn = json;
    foundFrom = from;
    foundTo = shape.shape.end(shifts);
    return foundTo;
  }

  /** Forgets the shape {@link #shapeEnd} found, when its chunk is not read next after all. */
  void forgetShapeFound() {
    found = null;
  }

  /**
   * Forgets the chunk {@link #readLikeKept} read last, which the caller found not to be a chunk
   * after all (its line goes on), so that it is read as any other. Meant right after {@link
   * #readLikeKept} compared it with the kept chunk: what the comparison found before it is what is
   * restored.
   */
  void forgetLikeKept() {
    likeKept = false;
    keptHead = previousHead; // as the comparison found them before it
    keptTail = previousTail;
    sharedStart = 0;
    sharedEnd = 0;
  }

  /**
   * Whether the chunk read last was found like the chunk kept (it differs from it only inside value
   * strings), rather than checked whole: every byte of it outside those strings is then the kept
   * chunk's, in the same order.
   */
  boolean likeKept() {
    return likeKept;
  }

  /**
   * Whether the chunk {@link #read} last was checked whole by matching a learnt shape ({@link
   * ChunkShapes}) rather than walked.
   */
  boolean byShape() {
    return byShape;
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
    return keptLength;
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

  /** A scanner of one stream, looking chunks up in the shapes every stream's scanners learn. */
  ChatChunkScanner() {
    this(SHARED_SHAPES);
  }

  /**
   * A scanner of one stream that looks chunks up in {@code shapes} and teaches it the chunks it
   * walks; with null, it walks every chunk that is not like the one kept (as a reference for
   * tests).
   */
  ChatChunkScanner(ChunkShapes shapes) {
    this.shapes = shapes;
  }

  /**
   * Checks the chunk whole and keeps it; returns where its first top-level usage value starts,
   * {@link #NO_USAGE}, {@link #USAGE_ONLY}, or {@link #OTHER}. A chunk that matches a learnt shape
   * is read from it: what a walk would have found ({@link ChunkShape}); any other is walked, and
   * its shape learnt. {@code shapeFound}, when not null, is the shape {@link #shapeEnd} found for
   * this chunk, its shifts still in {@link #shifts}: it is not looked up again.
   */
  private int checkWhole(byte[] json, int from, int to, ChunkShape shapeFound) {
    if (shapes != null && shapeMisses < SHAPE_MISSES) {
      if (shapeFound == null) {
        shifts = shapes.room(shifts);
      }
      ChunkShape shape =
          shapeFound != null ? shapeFound : shapes.find(json, from, to, lastShape, shifts);
      int usage = shape == null ? WALK : readByShape(shape, json, from, to);
      if (usage != WALK) {
        byShape = true;
        shapes.followed(lastShape, shape);
        lastShape = shape;
        shapeMisses = 0;
        return usage;
      }
      shapeMisses++;
    }
    if (top == null) {
      strict = new StrictJson();
      top = new TopLevelMembers(strict);
    }
    strict.forgetStrings();
    if (!(same > 0 && keptWalked
        ? top.walkLikeKept(json, from, to, same)
        : top.walk(json, from, to))) {
      return OTHER;
    }
    if (!top.usagesNull()) {
      int usage = usageOnly(json, to);
      if (usage != OTHER) {
        learn(json, from, to, false);
      }
      return usage;
    }
    model = top.model();
    int usage = top.usages() > 0 ? top.firstUsage() : NO_USAGE;
    noteShared(json, from, to);
    keep(json, from, to, usage, top.modelValue());
    learn(json, from, to, true);
    return usage;
  }

  /** What {@link #readByShape} returns when the chunk is to be walked after all. */
  private static final int WALK = -4;

  /**
   * Reads the chunk {@code json[from, to)}, which matched {@code shape} (the shifts are in {@link
   * #shifts}), as {@link #checkWhole} reads a chunk it walks, keeping it as {@link #keep} does;
   * returns {@link #WALK} when its model is written with escapes, which the walk refuses.
   */
  private int readByShape(ChunkShape shape, byte[] json, int from, int to) {
    int[] shift = shifts;
    String chunkModel = null;
    if (shape.modelText) {
      int value = shape.modelValue + shift[shape.modelSegment];
      int end = shape.modelEnd + shift[shape.modelEndSegment];
      if (shape.shape.spells(json, value, end, shape.modelValue, shape.modelEnd)) {
        chunkModel = shape.model;
      } else if (model != null && StrictJson.is(json, value, end, modelBytes())) {
        chunkModel = model; // the model of the chunk read before, as in every chunk of a stream
      } else if (StrictJson.string(json, value, to, false) < 0) {
        return WALK; // written with escapes: the walk refuses it
      } else {
        chunkModel = new String(json, value + 1, end - value - 2, UTF_8);
      }
    }
    int usage = shape.firstUsage < 0 ? NO_USAGE : shape.firstUsage + shift[shape.usageSegment];
    if (!shape.usagesNull) {
      if (!shape.usageOnly) {
        return OTHER;
      }
      Usage read = UsageBytes.read(json, usage, to);
      if (read == UsageBytes.UNREAD) {
        return OTHER;
      }
      model = chunkModel;
      reported = read;
      return USAGE_ONLY;
    }
    model = chunkModel;
    noteShared(json, from, to);
    keepBytes(json, from, to);
    int count = shape.strings.length;
    if (strings.length < count) {
      strings = new int[Math.max(count, strings.length * 2)];
    }
    for (int k = 0; k < count; k++) {
      strings[k] = shape.strings[k] + shift[shape.stringSegments[k]] - from;
    }
    stringCount = count / 2;
    keptModelString = shape.modelString;
    keptUsage = usage < 0 ? NO_USAGE : usage - from;
    keptModel = model;
    keptWalked = false;
    return usage;
  }

  /** The bytes of {@link #model} as a JSON string spells it, made when first asked for. */
  private byte[] modelBytes() {
    if (modelBytesOf != model) {
      modelBytesOf = model;
      modelBytes = ('"' + model + '"').getBytes(UTF_8);
    }
    return modelBytes;
  }

  private String modelBytesOf;
  private byte[] modelBytes;

  /**
   * Teaches the shapes the chunk {@code json[from, to)} that was just walked, and accepted: with
   * the value strings of the chunk kept when it was {@code kept}.
   */
  private void learn(byte[] json, int from, int to, boolean kept) {
    if (shapes == null || shapeMisses >= SHAPE_MISSES) {
      return;
    }
    ChunkShape shape =
        ChunkShape.of(
            json,
            from,
            to,
            top,
            kept ? strings : NO_STRINGS,
            kept ? stringCount : 0,
            kept ? keptModelString : -1);
    if (shape != null) {
      shapes.learn(shape);
      shapes.followed(lastShape, shape);
    }
    lastShape = shape;
  }

  /**
   * When the chunk read before was compared with the kept one too, notes what both share with it,
   * which they share with each other ({@link #sharedStart()}, {@link #sharedEnd()}).
   */
  private void noteShared(byte[] json, int from, int to) {
    if (previousHead >= 0) {
      int tail =
          DeferredChunks.commonEnd(kept, keptLength, json, to, Math.min(keptLength, to - from));
      sharedStart = Math.min(previousHead, same);
      sharedEnd = Math.min(previousTail, tail);
    }
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
   * TopLevelMembers#resumedAt()}: the value strings before that are the kept chunk's.
   */
  private void keep(byte[] json, int from, int to, int usage, int modelValue) {
    int resumed = top.resumedAt() - from;
    int before = 0;
    while (before < stringCount && strings[2 * before] < resumed) {
      before++;
    }
    top.keepMembers(from);
    keptWalked = true;
    keepBytes(json, from, to);
    stringCount = before + strict.stringCount();
    if (strings.length < stringCount * 2) {
      strings = Arrays.copyOf(strings, Math.max(stringCount * 2, strings.length * 2));
    }
    int[] found = strict.strings();
    for (int k = before; k < stringCount; k++) {
      strings[2 * k] = found[2 * (k - before)] - from;
      strings[2 * k + 1] = found[2 * (k - before) + 1] - from;
    }
    keptModelString = -1;
    for (int k = 0; k < stringCount; k++) {
      if (strings[2 * k] == modelValue - from) {
        keptModelString = k;
      }
    }
    keptUsage = usage < 0 ? NO_USAGE : usage - from;
    keptModel = model;
  }

  /** Takes the arrays another stream's scanner gave back, when there are any. */
  private void takeSpares() {
    Spares taken = SPARES.take();
    if (taken != null) {
      spares = taken;
      kept = taken.kept;
      strings = taken.strings;
      taken.kept = null;
      taken.strings = null;
    }
  }

  /**
   * Gives this scanner's arrays back for another stream's, cleared (nothing of this stream's answer
   * reaches another), once its stream was read to its end: the scanner reads no chunk after this.
   * Arrays that grew past {@link #MOST_KEPT_SPARE} together are left to the garbage collector.
   */
  void giveBack() {
    byte[] keptBytes = kept;
    int[] stringEnds = strings;
    kept = NO_BYTES;
    strings = NO_STRINGS;
    keptLength = -1;
    stringCount = 0;
    leftInARow = GIVE_UP; // any chunk read after this is left to the caller
    if (keptBytes == NO_BYTES
        || keptBytes.length + stringEnds.length * Integer.BYTES > MOST_KEPT_SPARE) {
      return;
    }
    Arrays.fill(keptBytes, (byte) 0);
    Arrays.fill(stringEnds, 0);
    Spares given = spares != null ? spares : new Spares();
    spares = null;
    given.kept = keptBytes;
    given.strings = stringEnds;
    SPARES.giveBack(given);
  }

  /** Keeps the bytes of the chunk {@code json[from, to)}, all of it the kept one's now. */
  private void keepBytes(byte[] json, int from, int to) {
    keptLength = to - from;
    keptHead = keptLength;
    keptTail = keptLength;
    if (kept == NO_BYTES) {
      takeSpares(); // the stream's first chunk kept: arrays of a stream read to its end, if any
    }
    if (kept.length < keptLength) {
      kept = new byte[Math.max(keptLength, kept.length * 2)];
    }
    System.arraycopy(json, from, kept, 0, keptLength);
    keptHasLineBreak = !oneLine && SseBody.indexOfLineEnd(kept, 0, keptLength) >= 0;
    keptCount++;
  }

  /**
   * Compares the chunk starting at {@code json[from]} with the one kept, in {@code json[from, to)}.
   * Returns {@link #OTHER} unless it differs only inside value strings, each accepted by {@link
   * StrictJson#string} (and the model's without escapes); if it does, where its first top-level
   * usage value starts, or {@link #NO_USAGE}, and it ends at {@link #end}: at {@code to} unless
   * {@code open}, when the chunk's end is not known and bytes after it may follow.
   */
  private int compare(byte[] json, int from, int to, boolean open) {
    int length = startCompare();
    if (length < 0) {
      return OTHER;
    }
    byte[] bytes = kept;
    int[] places = strings;
    int count = stringCount;
    int usageShift = NOT_SHIFTED;
    int modelQuote = -1;
    int p = 0; // in the chunk kept
    int c = from; // the same place in this chunk
    int k = 0;
    for (int m;
        (m = Arrays.mismatch(bytes, p, length, json, c, Math.min(to, c + length - p))) >= 0; ) {
      int at = p + m;
      if (p == 0) {
        same = at;
      }
      while (k < count && places[2 * k + 1] <= at) {
        k++;
      }
      if (k == count || places[2 * k] >= at) {
        return OTHER; // the difference is not inside a value string
      }
      if (usageShift == NOT_SHIFTED && keptUsage < places[2 * k]) {
        usageShift = c - p; // the usage value lies before this string: shifted as the bytes before
      }
      int quote = c + places[2 * k] - p;
      boolean isModel = k == keptModelString;
      if (isModel) {
        modelQuote = quote; // rare: the model changed (written without escapes)
      }
      c = StrictJson.string(json, quote, to, !isModel);
      if (c < 0) {
        return OTHER;
      }
      if (c - quote == FailedAnswers.CONTENT_FILTER_LENGTH
          && FailedAnswers.isContentFilter(json, quote)) {
        contentFilterString = true;
      }
      p = places[2 * k + 1];
      k++;
    }
    return compared(json, from, to, open, c, p, usageShift, modelQuote);
  }

  /**
   * Whether the chunk read last, found like the chunk kept ({@link #likeKept()}), may say that a
   * content filter cut the answer off ({@link FailedAnswers#filtered(byte[], int, int)}): whether
   * one of its value strings that differ from the kept chunk's is the string {@code
   * "content_filter"}. What it shares with the kept chunk says what it said there (the same
   * members, the same values in the same places), and the kept chunk was read itself; so a chunk
   * like it is not searched again. Meaningless for a chunk not found like the kept one.
   */
  boolean likeKeptMayBeFiltered() {
    return contentFilterString;
  }

  /** See {@link #likeKeptMayBeFiltered()}. */
  private boolean contentFilterString;

  /** What {@link #compare} notes before it compares; returns the kept chunk's length, or -1. */
  private int startCompare() {
    contentFilterString = false;
    previousHead = keptHead;
    previousTail = keptTail;
    keptHead = -1;
    keptTail = -1;
    same = 0;
    return keptLength;
  }

  /** {@link #compare}'s usage shift when no string after the usage value differs. */
  private static final int NOT_SHIFTED = Integer.MIN_VALUE;

  /**
   * Ends {@link #compare} once the bytes of the chunk from {@code from} were found to be the kept
   * chunk's but inside value strings, {@code p} in the kept chunk being {@code c} in this one: the
   * chunk ends at {@code c} plus what is left of the kept one, which must be {@code to} unless
   * {@code open}. {@code usageShift} is how far the usage value lies after the kept chunk's, when a
   * string after it differed; {@code modelQuote} where the model string starts when it differed
   * from the kept chunk's, else -1.
   */
  private int compared(
      byte[] json, int from, int to, boolean open, int c, int p, int usageShift, int modelQuote) {
    int length = keptLength;
    int chunkEnd = c + length - p;
    end = chunkEnd;
    if (open ? chunkEnd - from > StrictJson.MAX_LENGTH : chunkEnd != to) {
      return OTHER;
    }
    int head = p == 0 ? length : same; // the same as the kept chunk up to its first difference
    int tail = length - p;
    int before = previousHead;
    sharedStart = before < 0 ? 0 : Math.min(before, head);
    before = previousTail;
    sharedEnd = before < 0 ? 0 : Math.min(before, tail);
    keptHead = head;
    keptTail = tail;
    model =
        modelQuote < 0
            ? keptModel
            : text(json, modelQuote, StrictJson.string(json, modelQuote, to, false));
    int usage = keptUsage;
    return usage < 0 ? NO_USAGE : usage + (usageShift == NOT_SHIFTED ? c - p : usageShift);
  }

  /** The text of the JSON string {@code json[quote, end)}, written without escapes. */
  private static String text(byte[] json, int quote, int end) {
    return new String(json, quote + 1, end - quote - 2, UTF_8);
  }

  /**
   * The shape of a chat chunk that a walk accepted ({@link EventShapes.Shape}), with what the walk
   * found in it, as places in the shape's bytes: a chunk that matches the shape has the same
   * top-level members in the same order, each value of the same kind, so the walk would find the
   * same (whether its usage values are all null, whether it is the chunk reporting usage, whether
   * its model is text) and the same places, shifted by the holes before them. Only what a hole
   * holds is read: the model's text, when it is not the learnt one's (written without escapes, as
   * the walk demands), and the reported usage. Immutable, but for the successor last seen after it
   * ({@link #next}).
   */
  static final class ChunkShape {

    final EventShapes.Shape shape;

    /**
     * Whether the shape's bytes hold no line break: nor then does a chunk that matches it (a string
     * holds none, escaped or not), so that it can be found in a data line ({@link #shapeEnd}).
     */
    final boolean oneLine;

    /** Whether every top-level usage value is null (true when there is none). */
    final boolean usagesNull;

    /** Whether it is the chunk reporting usage read here ({@link #usageOnly}). */
    final boolean usageOnly;

    /** Where the first top-level usage value starts, or -1; and its segment. */
    final int firstUsage;

    final byte usageSegment;

    /** Whether the last top-level model is text; where its string starts and ends; segments. */
    final boolean modelText;

    final int modelValue;
    final byte modelSegment;
    final int modelEnd;
    final byte modelEndSegment;

    /** The learnt chunk's model, when text. */
    final String model;

    /** For a chunk kept, its value strings' starts and ends, their segments; which is the model. */
    final int[] strings;

    final byte[] stringSegments;
    final int modelString;

    /**
     * The shape a chunk of the same stream matched or was learnt as next, the last time a stream
     * had a chunk of this shape checked whole: looked up first after this one. Written and read
     * without locks: whichever shape a thread sees is a whole one (its fields are final), and a
     * stale one costs a look further.
     */
    ChunkShape next;

    private ChunkShape(
        EventShapes.Shape shape,
        boolean oneLine,
        boolean usagesNull,
        boolean usageOnly,
        int firstUsage,
        boolean modelText,
        int modelValue,
        int modelEnd,
        String model,
        int[] strings,
        int modelString) {
      this.shape = shape;
      this.oneLine = oneLine;
      this.usagesNull = usagesNull;
      this.usageOnly = usageOnly;
      this.firstUsage = firstUsage;
      this.usageSegment = firstUsage < 0 ? 0 : shape.segment(firstUsage);
      this.modelText = modelText;
      this.modelValue = modelValue;
      this.modelSegment = modelText ? shape.segment(modelValue) : 0;
      this.modelEnd = modelEnd;
      this.modelEndSegment = modelText ? shape.segment(modelEnd) : 0;
      this.model = model;
      this.strings = strings;
      this.stringSegments = new byte[strings.length];
      for (int k = 0; k < strings.length; k++) {
        stringSegments[k] = shape.segment(strings[k]);
      }
      this.modelString = modelString;
    }

    /**
     * The shape of the chunk {@code json[from, to)} that {@code top} has just walked, and accepted;
     * with {@code stringCount} value strings from {@code strings} (starts and ends from {@code
     * from}) of which the {@code modelString}th is the model, when the chunk was kept. Null when it
     * is not one to learn ({@link EventShapes.Shape#of}).
     */
    static ChunkShape of(
        byte[] json,
        int from,
        int to,
        TopLevelMembers top,
        int[] strings,
        int stringCount,
        int modelString) {
      EventShapes.Shape shape = EventShapes.Shape.of(json, from, to);
      if (shape == null) {
        return null;
      }
      int modelValue = top.modelValue() < 0 ? -1 : top.modelValue() - from;
      boolean modelText = modelValue >= 0 && json[from + modelValue] == '"';
      int modelEnd = modelText ? shape.holeEnd(modelValue) : -1;
      if (modelText && (modelEnd < 0 || top.model() == null)) {
        return null; // (not after a walk that accepted the chunk)
      }
      int firstUsage = top.usages() > 0 ? top.firstUsage() - from : -1;
      boolean usageOnly = top.usages() == 1 && json[top.firstUsage()] == '{' && top.choicesEmpty();
      return new ChunkShape(
          shape,
          SseEventFramer.indexOfLineEnd(json, from, to) < 0,
          top.usagesNull(),
          usageOnly,
          firstUsage,
          modelText,
          modelValue,
          modelEnd,
          modelText ? top.model() : null,
          Arrays.copyOf(strings, 2 * stringCount),
          modelString);
    }
  }

  /**
   * The shapes of chat chunks learnt by the scanners of every stream, so that the chunks of a
   * stream that cannot be compared with the one its scanner kept (the first, the role chunk, the
   * first text, the finish and usage chunks: each comes once in a stream) are read without a walk
   * when a stream before had them. At most {@value #SIZE} shapes of up to {@value
   * EventShapes#MAX_SHAPE_BYTES} bytes, the one learnt last replacing the oldest. Shared by all
   * threads without locks, as {@link EventShapes}: a thread may not see a shape another one just
   * learnt (it walks and learns it again), and sees any shape it reads whole.
   *
   * <p>A chunk is looked up first in the shape that followed the chunk its stream read before (for
   * the first one, the shape that began a stream last), then in the others: one model's streams
   * have their few kinds of chunks in one order, so the first shape tried is the one.
   */
  static final class ChunkShapes {

    static final int SIZE = 16;

    private final ChunkShape[] shapes = new ChunkShape[SIZE];
    private int learnt;

    /** The most holes of a shape learnt (never less: a shape replaced may be in use). */
    private int mostHoles;

    /** The shape that began a stream's chunks checked whole last. */
    private ChunkShape first;

    /**
     * The shape that {@code json[from, to)} matches, the shifts in {@code shifts}; or null. {@code
     * after} is the shape of the chunk the stream read before, or null for its first.
     */
    ChunkShape find(byte[] json, int from, int to, ChunkShape after, int[] shifts) {
      ChunkShape hint = after == null ? first : after.next;
      if (hint != null && hint.shape.match(json, from, to, shifts)) {
        return hint;
      }
      for (ChunkShape shape : shapes) {
        if (shape != null && shape != hint && shape.shape.match(json, from, to, shifts)) {
          return shape;
        }
      }
      return null;
    }

    /**
     * The shape that the chunk starting at {@code json[from]} matches within {@code json[from,
     * to)}, bytes of which may follow it, among the shapes {@linkplain ChunkShape#oneLine without
     * line breaks}: the shifts in {@code shifts} (which tell its end: {@link
     * EventShapes.Shape#end}); or null. Looked up as {@link #find} looks up a chunk whose end is
     * known: that chunk would be found the same.
     */
    ChunkShape findEnd(byte[] json, int from, int to, ChunkShape after, int[] shifts) {
      ChunkShape hint = after == null ? first : after.next;
      if (hint != null && hint.oneLine && hint.shape.matchEnd(json, from, to, shifts) >= 0) {
        return hint;
      }
      for (ChunkShape shape : shapes) {
        if (shape != null
            && shape != hint
            && shape.oneLine
            && shape.shape.matchEnd(json, from, to, shifts) >= 0) {
          return shape;
        }
      }
      return null;
    }

    /** How many shapes are kept (at most {@value #SIZE}). */
    int size() {
      int size = 0;
      for (ChunkShape shape : shapes) {
        size += shape == null ? 0 : 1;
      }
      return size;
    }

    /**
     * {@code shifts}, or a larger array when it has no room for the shifts of the shape with the
     * most holes learnt so far (one learnt later by another thread may not fit: it then does not
     * match, see {@link EventShapes.Shape#match}).
     */
    int[] room(int[] shifts) {
      int most = mostHoles;
      return shifts.length > most ? shifts : new int[most + 1];
    }

    /** Keeps {@code shape}, in place of the oldest when full. */
    void learn(ChunkShape shape) {
      mostHoles = Math.max(mostHoles, shape.shape.holes());
      int at = learnt;
      learnt = at + 1;
      shapes[at & (SIZE - 1)] = shape;
    }

    /** Notes that a stream's chunk of {@code shape} came after one of {@code before} (or first). */
    void followed(ChunkShape before, ChunkShape shape) {
      if (before == null) {
        if (first != shape) {
          first = shape;
        }
      } else if (before.next != shape) {
        before.next = shape;
      }
    }
  }
}
