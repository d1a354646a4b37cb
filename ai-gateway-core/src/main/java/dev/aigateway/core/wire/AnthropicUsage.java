package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.Usage;
import dev.aigateway.core.tokens.TokenCounts;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Reads usage, model and text from Anthropic Messages answers: one message document, or a stream's
 * events one by one ({@link StreamReader}, one per stream). Input tokens include the ones read from
 * and written to the prompt cache (see {@link AnthropicMessagesFormat}).
 */
final class AnthropicUsage {

  private AnthropicUsage() {}

  /**
   * Reads a whole message: its model, its usage and, only when the text is still needed once the
   * usage is learnt ({@link ResponseReadout#textNeeded}: no usage known, or the text kept), its
   * text.
   */
  static void readDocument(ResponseReadout readout, byte[] document, int from, int to) {
    if (new DocumentBytes().read(readout, document, from, to)) {
      return;
    }
    readTree(readout, document, from, to);
  }

  /** Reads a whole message as a Jackson tree: what {@link DocumentBytes} learns, it learns too. */
  static void readTree(ResponseReadout readout, byte[] document, int from, int to) {
    JsonNode message = Json.parseOrNull(document, from, to - from);
    if (message == null || !message.isObject()) {
      return;
    }
    Counts counts = new Counts();
    boolean reported = counts.read(message.get("usage"));
    readout.learnUsage(message.path("model").textValue(), reported ? counts.usage() : null);
    JsonNode content = message.get("content");
    if (readout.textNeeded() && content != null && content.isArray()) {
      for (JsonNode block : content) {
        appendBlock(readout, block);
      }
    }
    readout.markComplete();
  }

  /**
   * The usage of a {@code usage} object, or null when it holds no token count: input = {@code
   * input_tokens} + {@code cache_creation_input_tokens} + {@code cache_read_input_tokens}.
   */
  static @Nullable Usage of(@Nullable JsonNode usage) {
    Counts counts = new Counts();
    return counts.read(usage) ? counts.usage() : null;
  }

  private static void appendBlock(ResponseReadout readout, JsonNode block) {
    String type = block.path("type").asText("");
    switch (type) {
      case "text" -> readout.appendText(block.path("text").asText(""));
      case "thinking" -> readout.appendText(block.path("thinking").asText(""));
      case "tool_use", "server_tool_use" -> {
        readout.appendText(block.path("name").asText(""));
        JsonNode input = block.get("input");
        if (input != null) {
          readout.appendText(input.toString());
        }
      }
      default -> {
        // redacted thinking, tool results of server tools: no text to estimate with
      }
    }
  }

  /**
   * Reads a message document on its bytes, without a tree, when it is written as nearly every
   * answer is: an object whose {@code model} is ASCII text without escapes (or not text), whose
   * member names hold no escapes, whose content blocks are text or thinking blocks (any other type
   * written without escapes is passed over, as the tree reader passes it over) with their text a
   * string. Anything else (a tool use, whose input the tree reader counts as Jackson writes it; a
   * type or model written with escapes; a text that is not a string; bytes {@link ObjectMembers}
   * does not accept; a document longer than {@link StrictJson#MAX_LENGTH}) is left to {@link
   * #readTree}, nothing learnt. What is learnt is what {@link #readTree} learns from the same
   * bytes, in the same order; the content is not looked at when the text will not be needed. One
   * per document.
   */
  static final class DocumentBytes {
    private static final byte[] MODEL = ObjectMembers.quoted("model");
    private static final byte[] USAGE = ObjectMembers.quoted("usage");
    private static final byte[] CONTENT = ObjectMembers.quoted("content");
    private static final byte[] TYPE = ObjectMembers.quoted("type");
    private static final byte[] TEXT_NAME = ObjectMembers.quoted("text");
    private static final byte[] THINKING_NAME = ObjectMembers.quoted("thinking");
    private static final byte[] TEXT_TYPE = TEXT_NAME;
    private static final byte[] THINKING_TYPE = THINKING_NAME;

    // the names each walker looks for, made once (a reader per document shares them)
    private static final byte[][] BLOCK_NAMES = {TYPE, TEXT_NAME, THINKING_NAME};
    private static final byte[][] MESSAGE_NAMES = {MODEL, USAGE, CONTENT};

    private final ObjectMembers block = new ObjectMembers(BLOCK_NAMES);
    private final ObjectMembers usage = new ObjectMembers(StreamReader.COUNT_NAMES);

    /** The message's members, its usage walked in the same pass ({@link ObjectMembers#nest}). */
    private final ObjectMembers message = new ObjectMembers(MESSAGE_NAMES).nest(1, usage);

    /** Where each text to append starts and ends, in document order. */
    private int[] texts = new int[4];

    private int textCount;

    /**
     * Reads the document {@code data[from, to)} into {@code readout}; false, having learnt nothing,
     * when it is one to read as a tree.
     */
    boolean read(ResponseReadout readout, byte[] data, int from, int to) {
      if (to - from > StrictJson.MAX_LENGTH || !message.walk(data, from, to)) {
        // a longer document could hold a name beyond Jackson's limit, which StrictJson accepts
        return false;
      }
      String model = null;
      if (message.startsWith(data, 0, '"')) {
        model = plainText(data, message.start(0) + 1, message.end(0) - 1);
        if (model == null) {
          return false;
        }
      }
      Counts counts = null;
      if (message.startsWith(data, 1, '{')) {
        Counts read = new Counts();
        if (read.take(count(data, 0), count(data, 1), count(data, 2), count(data, 3))) {
          counts = read;
        }
      }
      Usage usage = counts == null ? null : counts.usage();
      textCount = 0;
      // whether the text is still needed once the usage is learnt (ResponseReadout#textNeeded)
      if ((readout.keepsText() || (usage == null && readout.textNeeded()))
          && message.startsWith(data, 2, '[')
          && !blocks(data, message.start(2))) {
        return false;
      }
      readout.learnUsage(model, usage);
      for (int k = 0; k < textCount; k++) {
        readout.appendJsonString(data, texts[2 * k], texts[2 * k + 1]);
      }
      readout.markComplete();
      return true;
    }

    /** Notes the texts of the content array at {@code at}; false if one is for the tree. */
    private boolean blocks(byte[] data, int at) {
      for (int e = ObjectMembers.firstElement(data, at);
          e >= 0;
          e = ObjectMembers.nextElement(data, e)) {
        if (data[e] != '{') {
          continue; // not a block: no type, nothing to learn
        }
        if (!block.walk(data, e, ObjectMembers.valueEnd(data, e))) {
          return false;
        }
        int text;
        if (block.is(data, 0, TEXT_TYPE)) {
          text = 1;
        } else if (block.is(data, 0, THINKING_TYPE)) {
          text = 2;
        } else if (block.startsWith(data, 0, '"')) {
          for (int i = block.start(0) + 1; i < block.end(0) - 1; i++) {
            if (data[i] == '\\') {
              return false; // a type written with escapes could spell one read
            }
          }
          if (toolUse(data)) {
            return false;
          }
          continue;
        } else {
          continue; // a type that is not text, or none: passed over
        }
        if (block.start(text) < 0) {
          continue; // no text: the tree reader appends nothing
        }
        if (!block.startsWith(data, text, '"')) {
          return false; // a number or literal read as text: left to the tree's rules
        }
        if (2 * textCount + 2 > texts.length) {
          texts = java.util.Arrays.copyOf(texts, texts.length * 2);
        }
        texts[2 * textCount] = block.start(text);
        texts[2 * textCount + 1] = block.end(text);
        textCount++;
      }
      return true;
    }

    /**
     * Whether the block {@link #block} walked last is a tool use (its input counted by the tree).
     */
    private boolean toolUse(byte[] data) {
      return block.is(data, 0, TOOL_USE) || block.is(data, 0, SERVER_TOOL_USE);
    }

    private static final byte[] TOOL_USE = ObjectMembers.quoted("tool_use");
    private static final byte[] SERVER_TOOL_USE = ObjectMembers.quoted("server_tool_use");

    private long count(byte[] data, int k) {
      return usage.start(k) < 0 ? -1 : ObjectMembers.count(data, usage.start(k), usage.end(k));
    }
  }

  /** Anthropic's four counts, as last reported; -1 when not reported. */
  private static final class Counts {
    long input = -1;
    long output = -1;
    long cacheWrite = -1;
    long cacheRead = -1;

    /** Takes the counts {@code usage} reports; returns whether it reported any. */
    boolean read(@Nullable JsonNode usage) {
      if (usage == null || !usage.isObject()) {
        return false;
      }
      boolean any = false;
      long value;
      if ((value = count(usage, "input_tokens")) >= 0) {
        input = value;
        any = true;
      }
      if ((value = count(usage, "output_tokens")) >= 0) {
        output = value;
        any = true;
      }
      if ((value = count(usage, "cache_creation_input_tokens")) >= 0) {
        cacheWrite = value;
        any = true;
      }
      if ((value = count(usage, "cache_read_input_tokens")) >= 0) {
        cacheRead = value;
        any = true;
      }
      return any;
    }

    /** Takes the counts read on bytes (-1: absent); returns whether there was any. */
    boolean take(long inputRead, long outputRead, long cacheWriteRead, long cacheReadRead) {
      input = inputRead >= 0 ? inputRead : input;
      output = outputRead >= 0 ? outputRead : output;
      cacheWrite = cacheWriteRead >= 0 ? cacheWriteRead : cacheWrite;
      cacheRead = cacheReadRead >= 0 ? cacheReadRead : cacheRead;
      return inputRead >= 0 || outputRead >= 0 || cacheWriteRead >= 0 || cacheReadRead >= 0;
    }

    Usage usage() {
      long written = Math.max(cacheWrite, 0);
      long read = Math.max(cacheRead, 0);
      long in = TokenCounts.sum(TokenCounts.sum(Math.max(input, 0), written), read);
      long out = Math.max(output, 0);
      return new Usage(in, out, TokenCounts.sum(in, out), read, 0, written, 0, 0, 0);
    }

    private static long count(JsonNode usage, String name) {
      return UsageCounts.of(usage.get(name));
    }
  }

  /**
   * Reads one stream's events: remembers {@code message_start}'s model and counts, takes each
   * {@code message_delta}'s counts over them and learns the usage then, appends the text of each
   * delta, and marks the stream complete at {@code message_stop}. One per stream; called on the
   * reading thread only.
   */
  static final class StreamReader implements SseBody.EventReader {
    private static final byte[] TYPE = ObjectMembers.quoted("type");
    private static final byte[] INDEX = ObjectMembers.quoted("index");
    private static final byte[] DELTA = ObjectMembers.quoted("delta");
    private static final byte[] TEXT = ObjectMembers.quoted("text");
    private static final byte[] PARTIAL_JSON = ObjectMembers.quoted("partial_json");
    private static final byte[] THINKING = ObjectMembers.quoted("thinking");
    private static final byte[] CONTENT_BLOCK_DELTA = ObjectMembers.quoted("content_block_delta");
    private static final byte[] CONTENT_BLOCK_STOP = ObjectMembers.quoted("content_block_stop");
    private static final byte[] PING = ObjectMembers.quoted("ping");
    private static final byte[] MESSAGE_STOP = ObjectMembers.quoted("message_stop");
    private static final byte[][] DELTA_TYPES = {
      ObjectMembers.quoted("text_delta"),
      ObjectMembers.quoted("input_json_delta"),
      ObjectMembers.quoted("thinking_delta")
    };

    private final Counts counts = new Counts();
    private static final byte[] USAGE = ObjectMembers.quoted("usage");
    private static final byte[] MESSAGE = ObjectMembers.quoted("message");
    private static final byte[] MODEL = ObjectMembers.quoted("model");
    private static final byte[] MESSAGE_START = ObjectMembers.quoted("message_start");
    private static final byte[] MESSAGE_DELTA = ObjectMembers.quoted("message_delta");

    private static final byte[] CONTENT_BLOCK = ObjectMembers.quoted("content_block");
    private static final byte[] CONTENT_BLOCK_START = ObjectMembers.quoted("content_block_start");
    private static final byte[] METRICS = ObjectMembers.quoted("amazon-bedrock-invocationMetrics");

    /** The names of a usage object's counts, made once (a reader per stream shares them). */
    static final byte[][] COUNT_NAMES = {
      ObjectMembers.quoted("input_tokens"),
      ObjectMembers.quoted("output_tokens"),
      ObjectMembers.quoted("cache_creation_input_tokens"),
      ObjectMembers.quoted("cache_read_input_tokens")
    };

    // the names each walker looks for, made once (a reader per stream shares them)
    private static final byte[][] BLOCK_NAMES = {TYPE, TEXT, THINKING};
    private static final byte[][] DELTA_NAMES = {TYPE, TEXT, PARTIAL_JSON, THINKING};
    private static final byte[][] MESSAGE_NAMES = {MODEL, USAGE};
    private static final byte[][] EVENT_NAMES = {
      TYPE, INDEX, DELTA, USAGE, MESSAGE, CONTENT_BLOCK, METRICS
    };

    /**
     * The walkers of an event that is not read against the kept delta ({@link
     * StreamReader#deltas}), and the scratch of {@link EventShapes#read}: their notes serve only
     * the reading of that one event, so one set per thread is lent to each such reading ({@link
     * #lend}) rather than made by every stream's reader (seven walkers, their arrays, their tree
     * and the scratch, about 730 bytes a stream). A set lent already (a reading within a reading on
     * the same thread) is not lent again: a new set serves that reading.
     */
    static final class Walkers {
      private static final ThreadLocal<Walkers> OF_THREAD = ThreadLocal.withInitial(Walkers::new);

      final ObjectMembers block = new ObjectMembers(BLOCK_NAMES);
      final ObjectMembers delta = new ObjectMembers(DELTA_NAMES);
      final ObjectMembers usage = new ObjectMembers(COUNT_NAMES);
      final ObjectMembers messageUsage = new ObjectMembers(COUNT_NAMES);
      final ObjectMembers message = new ObjectMembers(MESSAGE_NAMES).nest(1, messageUsage);

      /**
       * An event's members, its delta, usage, message (and the message's usage) and content block
       * walked in the same pass ({@link ObjectMembers#nest}): each event is walked once.
       */
      final ObjectMembers event =
          new ObjectMembers(EVENT_NAMES)
              .nest(2, delta)
              .nest(3, usage)
              .nest(4, message)
              .nest(5, block);

      /** {@link #event} and the walkers nested in it, as {@link EventShapes} gives them notes. */
      final ObjectMembers[] tree = event.tree();

      /** Scratch of {@link EventShapes#read}. */
      final int[] shifts = new int[EventShapes.MAX_HOLES + 1];

      /** Whether the set is lent to a reading now. */
      private boolean lent;

      /** The thread's set, or a new one when it is lent already; {@link #giveBack} when done. */
      static Walkers lend() {
        Walkers walkers = OF_THREAD.get();
        if (walkers.lent) {
          walkers = new Walkers();
        }
        walkers.lent = true;
        return walkers;
      }

      /** Ends the reading {@link #lend} lent the set to: the thread's next reading may take it. */
      void giveBack() {
        lent = false;
      }
    }

    /**
     * The shapes of the events walked by any stream's reader: the next event of a shape learnt is
     * read without a walk (a stream's start, its block starts, its end, which come once a stream).
     */
    private static final EventShapes SHAPES = new EventShapes();

    /**
     * The last delta walked whose text ends it, up to its text: the next deltas written alike are
     * read against it.
     */
    private final TextTemplate deltas = new TextTemplate();

    private @Nullable String model;

    /**
     * The frame whose event is being read when its message's CRC may not be checked yet ({@link
     * #readChunk}); null otherwise.
     */
    private @Nullable EventStreamFrame frame;

    /**
     * Reads the event {@code data[from, to)} of {@code frame} as {@link #readBytes} does, the
     * frame's message CRC checked ({@link EventStreamFrame#checked}) before anything is learnt but
     * a content block's text (a delta's, a text or thinking block's start), or nothing (a block's
     * stop, a ping): when it does not match, nothing is learnt from the event and true is returned
     * (the decoder has stopped). False, nothing learnt and the CRC not checked, for an event to
     * read as a tree: its CRC is to be checked before.
     *
     * <p>The first {@code unchanged} bytes of the event are known to be those of the last event
     * read, left where they were (a chunk's decoded bytes that {@link InvokeChunk} did not write
     * again; 0 when nothing is known): when the last event began with the bytes of the delta kept
     * ({@link #deltas}) and they cover them, the event's first bytes are not compared with them
     * again.
     */
    boolean readChunk(
        ResponseReadout readout,
        byte[] data,
        int from,
        int to,
        EventStreamFrame frame,
        int unchanged) {
      this.frame = frame.unchecked() ? frame : null;
      this.known = lastBeganAsDelta ? unchanged : 0;
      try {
        return readBytes(readout, data, from, to);
      } finally {
        this.frame = null;
        this.known = 0;
      }
    }

    /**
     * How many of the first bytes of the event being read are known to be those of the delta kept
     * ({@link #deltas}): 0 unless {@link #readChunk} was told.
     */
    private int known;

    /**
     * Whether the last event read began with the bytes of the delta kept ({@link #deltas}): it was
     * read against them, or they were kept from it.
     */
    private boolean lastBeganAsDelta;

    /**
     * Whether the event being read may be relied on: its frame's CRC matches, checked now when it
     * was not ({@link #readChunk}), or it came otherwise (an SSE event).
     */
    private boolean sound() {
      EventStreamFrame unchecked = frame;
      return unchecked == null || unchecked.checked();
    }

    @Override
    public void read(ResponseReadout readout, byte[] data, int from, int to) {
      if (readBytes(readout, data, from, to)) {
        return;
      }
      JsonNode event = Json.parseOrNull(data, from, to - from);
      if (event != null) {
        read(readout, event);
      }
    }

    /**
     * Reads the event {@code data[from, to)} on its bytes when it is one of those nearly every
     * event is (a content block's delta or stop, a ping, the message's stop, the start of a text or
     * thinking block; Claude on Bedrock's last event, with its metrics, once usage is known) or one
     * that reports usage ({@code message_start}, {@code message_delta}) and holds nothing else;
     * returns false, having learnt nothing, for any other, to be read as a tree. What is learnt is
     * what {@link #read(ResponseReadout, JsonNode)} learns from the same event. A delta written as
     * the last one walked up to its text, and ending with it, is read against it ({@link
     * TextTemplate}) rather than walked; any other event that matches the shape of one walked
     * before, by this stream's reader or another's ({@link EventShapes}), is given the walk's notes
     * without a walk.
     */
    boolean readBytes(ResponseReadout readout, byte[] data, int from, int to) {
      int quote = deltas.quote(data, from, to, known);
      lastBeganAsDelta = quote >= 0;
      if (quote >= 0) {
        // a delta written as the last one walked up to its text: its text and two closing braces
        int end = StrictJson.string(data, quote, to, true);
        if (TextTemplate.ends(
            data, TextTemplate.closes(data, TextTemplate.closes(data, end, to), to), to)) {
          readout.appendJsonString(data, quote, end);
          return true;
        }
      }
      Walkers walkers = Walkers.lend();
      try {
        return readWalked(readout, data, from, to, walkers);
      } finally {
        walkers.giveBack();
      }
    }

    /**
     * {@link #readBytes} of an event not read against the kept delta: matched with a shape learnt
     * or walked, with {@code walkers}.
     */
    private boolean readWalked(
        ResponseReadout readout, byte[] data, int from, int to, Walkers walkers) {
      ObjectMembers event = walkers.event;
      if (!SHAPES.read(data, from, to, walkers.tree, walkers.shifts)) {
        if (!event.walk(data, from, to)) {
          return false;
        }
        SHAPES.learn(data, from, to, walkers.tree);
      }
      if (event.hasOthers()) {
        return false;
      }
      if (event.start(5) >= 0 || event.start(6) >= 0) {
        if (event.start(2) >= 0 || event.start(3) >= 0 || event.start(4) >= 0) {
          return false;
        }
        if (event.start(6) < 0 && event.is(data, 0, CONTENT_BLOCK_START)) {
          return readBlockStart(readout, data, walkers);
        }
        if (event.start(5) < 0 && event.is(data, 0, MESSAGE_STOP) && readout.usage() != null) {
          // Claude on Bedrock's last event: its invocation metrics are read only without usage
          if (sound()) {
            readout.markComplete();
          }
          return true;
        }
        return false;
      }
      if (event.start(3) >= 0 || event.start(4) >= 0) {
        if (event.is(data, 0, MESSAGE_DELTA) && event.start(4) < 0) {
          return !sound() || readMessageDelta(readout, data, walkers);
        } else if (event.is(data, 0, MESSAGE_START) && event.start(3) < 0) {
          return readMessageStart(readout, data, walkers);
        }
        return false;
      }
      if (event.is(data, 0, CONTENT_BLOCK_DELTA)) {
        return readDelta(readout, data, from, to, walkers);
      } else if (event.is(data, 0, MESSAGE_STOP)) {
        if (sound()) {
          readout.markComplete();
        }
        return true;
      }
      return event.is(data, 0, CONTENT_BLOCK_STOP) || event.is(data, 0, PING);
    }

    /**
     * {@code content_block_start} of a text or thinking block: its text (most often empty); false
     * for any other block (a tool use, whose input is counted as the tree writes it) or one not
     * written plainly.
     */
    private boolean readBlockStart(ResponseReadout readout, byte[] data, Walkers walkers) {
      ObjectMembers block = walkers.block;
      if (!walkers.event.startsWith(data, 5, '{')) {
        return false; // (an object is walked by the event's walk, into block)
      }
      int text = block.is(data, 0, TEXT) ? 1 : block.is(data, 0, THINKING) ? 2 : -1;
      if (text < 0) {
        return false;
      }
      if (block.start(text) >= 0) {
        if (!block.startsWith(data, text, '"')) {
          return false; // a number or literal read as text: left to the tree's rules
        }
        readout.appendJsonString(data, block.start(text), block.end(text));
      }
      return true;
    }

    /** {@code message_delta}: its usage's counts over those read before, then the usage. */
    private boolean readMessageDelta(ResponseReadout readout, byte[] data, Walkers walkers) {
      if (walkers.event.startsWith(data, 3, '{')) {
        if (takeCounts(walkers.usage, data)) {
          readout.learnUsage(model, counts.usage());
        }
      }
      return true;
    }

    /**
     * {@code message_start}: the message's model and usage's counts; false, having learnt nothing,
     * when the model is text written with escapes or beyond ASCII (left to the tree).
     */
    private boolean readMessageStart(ResponseReadout readout, byte[] data, Walkers walkers) {
      ObjectMembers message = walkers.message;
      String read = null;
      boolean object = walkers.event.startsWith(data, 4, '{');
      boolean counted = object;
      if (object) {
        // the message and its usage were walked by the event's walk
        counted = message.startsWith(data, 1, '{');
        if (message.startsWith(data, 0, '"')) {
          read = plainText(data, message.start(0) + 1, message.end(0) - 1);
          if (read == null) {
            return false; // escapes or beyond ASCII: left to the tree
          }
        }
      }
      if (!sound()) {
        return true; // the CRC failed: nothing learnt, the reading stopped
      }
      model = read;
      if (counted && takeCounts(walkers.messageUsage, data)) {
        readout.learnStartUsage(counts.usage()); // the input, should the stream be cut
      }
      readout.learnUsage(model, null);
      return true;
    }

    /** Takes the counts of the usage object {@code walked} noted; whether it held any. */
    private boolean takeCounts(ObjectMembers walked, byte[] data) {
      return counts.take(
          count(walked, data, 0),
          count(walked, data, 1),
          count(walked, data, 2),
          count(walked, data, 3));
    }

    private static long count(ObjectMembers walked, byte[] data, int k) {
      return walked.start(k) < 0 ? -1 : ObjectMembers.count(data, walked.start(k), walked.end(k));
    }

    /**
     * A content block's delta {@code data[from, to)}: the text of a text, tool input or thinking
     * delta. A delta whose text is its last member, in an event that ends with it, is kept as the
     * template of the next ones ({@link #deltas}).
     */
    private boolean readDelta(
        ResponseReadout readout, byte[] data, int from, int to, Walkers walkers) {
      ObjectMembers event = walkers.event;
      ObjectMembers delta = walkers.delta;
      if (!event.startsWith(data, 2, '{')) {
        return event.start(2) < 0; // no delta: nothing to learn, as from the tree
      }
      for (int k = 0; k < DELTA_TYPES.length; k++) {
        if (delta.is(data, 0, DELTA_TYPES[k])) {
          int text = k + 1;
          if (delta.start(text) < 0) {
            return true;
          } else if (!delta.startsWith(data, text, '"')) {
            return false; // a number or literal read as text: left to the tree's rules
          }
          readout.appendJsonString(data, delta.start(text), delta.end(text));
          int closed =
              TextTemplate.closes(data, TextTemplate.closes(data, delta.end(text), to), to);
          if (TextTemplate.ends(data, closed, to)) {
            deltas.keep(data, from, delta.start(text));
            lastBeganAsDelta = true;
          }
          return true;
        }
      }
      // another delta type (signature, citations), or none: no generated text
      return delta.startsWith(data, 0, '"') || delta.start(0) < 0;
    }

    /** Reads one event already parsed (Bedrock carries them inside its own stream's chunks). */
    void read(ResponseReadout readout, JsonNode event) {
      if (!event.isObject()) {
        return;
      }
      switch (event.path("type").asText("")) {
        case "message_start" -> {
          JsonNode message = event.path("message");
          model = message.path("model").textValue();
          if (counts.read(message.get("usage"))) {
            readout.learnStartUsage(counts.usage()); // the input, should the stream be cut
          }
          readout.learnUsage(model, null);
        }
        case "content_block_start" -> appendBlock(readout, event.path("content_block"));
        case "content_block_delta" -> {
          JsonNode delta = event.path("delta");
          switch (delta.path("type").asText("")) {
            case "text_delta" -> readout.appendText(delta.path("text").asText(""));
            case "input_json_delta" -> readout.appendText(delta.path("partial_json").asText(""));
            case "thinking_delta" -> readout.appendText(delta.path("thinking").asText(""));
            default -> {
              // signature_delta, citations_delta: nothing the model generated as text
            }
          }
        }
        case "message_delta" -> {
          if (counts.read(event.get("usage"))) {
            readout.learnUsage(model, counts.usage());
          }
        }
        case "message_stop" -> readout.markComplete();
        // an error the backend reported mid-stream (overloaded): the body is an error answer
        case "error" -> readout.noteErrorEvent(event.get("error"));
        default -> {
          // ping, content_block_stop: nothing to learn
        }
      }
    }
  }

  /**
   * The inside {@code data[from, to)} of a JSON string as text when it is ASCII written without
   * escapes; null otherwise (such a string is left to the tree reader). The text of the same bytes
   * as the last one made is that one (a process's answers name a few models, and a stream names its
   * model once).
   */
  private static @Nullable String plainText(byte[] data, int from, int to) {
    PlainText last = lastPlainText;
    if (last != null
        && last.bytes.length == to - from
        && EventShapes.same(data, from, last.bytes, 0, to - from)) {
      return last.text;
    }
    for (int i = from; i < to; i++) {
      if (data[i] < 0 || data[i] == '\\') {
        return null;
      }
    }
    String text = new String(data, from, to - from, StandardCharsets.US_ASCII);
    if (to - from <= MAX_KEPT_TEXT) {
      lastPlainText = new PlainText(java.util.Arrays.copyOfRange(data, from, to), text);
    }
    return text;
  }

  /** The longest text kept by {@link #plainText} for the next one. */
  private static final int MAX_KEPT_TEXT = 128;

  /**
   * The text {@link #plainText} made last, shared by all threads: immutable, so a thread sees it
   * whole or sees an older one (or none), and makes its own then.
   */
  private static @Nullable PlainText lastPlainText;

  /** A text and the bytes it was made of (ASCII, no escapes). */
  private record PlainText(byte[] bytes, String text) {}
}
