package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.wire.ChatChunkScanner.ChunkShapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * A chunk read by a learnt shape ({@link ChunkShapes}) is read as the walk reads it: a scanner that
 * looks chunks up in learnt shapes and one that walks every chunk ({@code new
 * ChatChunkScanner(null)}) tell the same of every chunk, and go on alike (the chunk kept, the
 * strings compared in the next ones), whatever the chunks and however they differ from a learnt
 * one.
 */
class ChatChunkShapesTest {

  /** An OpenAI chunk's first bytes, then its choices, then its last bytes. */
  private static final String HEAD =
      "{\"id\":\"chatcmpl-%s\",\"object\":\"chat.completion.chunk\",\"created\":%d,"
          + "\"model\":\"%s\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_%s\","
          + "\"choices\":";

  private static final String ROLE =
      "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
          + "\"logprobs\":null,\"finish_reason\":null}]";
  private static final String TEXT =
      "[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"logprobs\":null,\"finish_reason\":null}]";
  private static final String FINISH =
      "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]";
  private static final String USAGE =
      "[],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d,"
          + "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
          + "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
          + "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}";

  private static final String[] WORDS = {"Hello", " wörld", " \\\"q\\\"", "", " 🌍", " a\\nb"};
  private static final String[] MODELS = {"gpt-4o-mini", "gpt-4o", "gpt-é", "m\\/1"};

  /** The chunks of one stream as OpenAI writes them, with usage asked for. */
  private static List<String> stream(SplittableRandom random) {
    String id = Long.toString(random.nextLong() >>> 1, 36);
    long created = 1_700_000_000L + random.nextInt(1_000_000);
    String model = MODELS[random.nextInt(MODELS.length)];
    String head = String.format(HEAD, id, created, model, Integer.toHexString(random.nextInt()));
    String tail =
        random.nextInt(4) == 0 ? ",\"usage\":null,\"obfuscation\":\"x1\"}" : ",\"usage\":null}";
    List<String> chunks = new ArrayList<>();
    chunks.add(head + ROLE + tail);
    for (int i = random.nextInt(6); i >= 0; i--) {
      chunks.add(head + String.format(TEXT, WORDS[random.nextInt(WORDS.length)]) + tail);
    }
    chunks.add(head + FINISH + tail);
    long prompt = random.nextInt(5) == 0 ? Long.MAX_VALUE - random.nextInt(3) : random.nextInt(900);
    long completion = random.nextInt(90);
    chunks.add(head + String.format(USAGE, prompt, completion, prompt + completion));
    return chunks;
  }

  /** Whether the two scanners said the same of the chunk just read, and are alike for the next. */
  private static void assertAlike(
      ChatChunkScanner byShapes, ChatChunkScanner byWalk, int shaped, int walked, String as) {
    assertThat(shaped).as(as).isEqualTo(walked);
    assertThat(byShapes.model()).as(as).isEqualTo(byWalk.model());
    if (walked == ChatChunkScanner.USAGE_ONLY) {
      assertThat(byShapes.usage()).as(as).isEqualTo(byWalk.usage());
    }
    assertThat(byShapes.likeKept()).as(as).isEqualTo(byWalk.likeKept());
    assertThat(byShapes.keptCount()).as(as).isEqualTo(byWalk.keptCount());
    assertThat(byShapes.keptLength()).as(as).isEqualTo(byWalk.keptLength());
    assertThat(byShapes.sharedStart()).as(as).isEqualTo(byWalk.sharedStart());
    assertThat(byShapes.sharedEnd()).as(as).isEqualTo(byWalk.sharedEnd());
    assertThat(byShapes.sameAsKept()).as(as).isEqualTo(byWalk.sameAsKept());
  }

  /**
   * Reads {@code bytes} with both scanners as the body does: first as a chunk like the kept one
   * whose end is not known (the event's bytes after it), then, if it is not, by the learnt shape
   * whose end is the chunk's ({@link ChatChunkScanner#readShapeFound}, as the body reads a chunk
   * whose line it found to end there), else whole (as the framer has the body read it: so when
   * {@code from} is 1, the shape found being forgotten). Returns whether the scanner with shapes
   * read it by one.
   */
  private static boolean readBoth(
      ChatChunkScanner byShapes, ChatChunkScanner byWalk, byte[] bytes, int from, String as) {
    byte[] buffer = new byte[from + bytes.length + 12];
    System.arraycopy(bytes, 0, buffer, from, bytes.length);
    byte[] after = "\n\ndata: {}\n\n".getBytes(UTF_8);
    System.arraycopy(after, 0, buffer, from + bytes.length, after.length);
    int to = from + bytes.length;
    int shaped = byShapes.readLikeKept(buffer, from, buffer.length);
    int walked = byWalk.readLikeKept(buffer, from, buffer.length);
    assertAlike(byShapes, byWalk, shaped, walked, as);
    if (walked != ChatChunkScanner.OTHER) {
      assertThat(byShapes.end()).as(as).isEqualTo(byWalk.end());
      if (byWalk.end() == to) {
        return false;
      }
      byShapes.forgetLikeKept(); // its line goes on: read whole, as the body does
      byWalk.forgetLikeKept();
    }
    assertThat(byWalk.shapeEnd(buffer, from, buffer.length)).as(as).isEqualTo(-1);
    if (byShapes.shapeEnd(buffer, from, buffer.length) == to && from != 1) {
      shaped = byShapes.readShapeFound(buffer, from, to);
    } else {
      byShapes.forgetShapeFound();
      shaped = byShapes.read(buffer, from, to, true);
    }
    walked = byWalk.read(buffer, from, to, true);
    assertAlike(byShapes, byWalk, shaped, walked, as);
    return byShapes.byShape();
  }

  @Test
  void openAiStreamsAreReadByLearntShapesAsTheWalkReadsThem() {
    ChunkShapes shapes = new ChunkShapes();
    SplittableRandom random = new SplittableRandom(7);
    int byShape = 0;
    int checkedWhole = 0;
    for (int s = 0; s < 400; s++) {
      ChatChunkScanner byShapes = new ChatChunkScanner(shapes);
      ChatChunkScanner byWalk = new ChatChunkScanner(null);
      for (String chunk : stream(random)) {
        byte[] bytes = chunk.getBytes(UTF_8);
        boolean shaped =
            readBoth(byShapes, byWalk, bytes, random.nextInt(3), "stream " + s + ": " + chunk);
        byShape += shaped ? 1 : 0;
        checkedWhole += byWalk.likeKept() ? 0 : 1;
      }
    }
    // Every stream but the first few has its role, first text, finish and usage chunks by shape;
    // a model written with escapes is walked (and refused) as before.
    assertThat(byShape).isGreaterThan(checkedWhole / 2);
    assertThat(shapes.size()).isBetween(4, ChunkShapes.SIZE);
  }

  @Test
  void mutatedChunksOfLearntShapesAreReadAsTheWalkReadsThem() {
    ChunkShapes shapes = new ChunkShapes();
    SplittableRandom random = new SplittableRandom(11);
    int byShape = 0;
    int walkedAfterAll = 0;
    for (long seed = 0; seed < 3000; seed++) {
      RandomChatStream stream = new RandomChatStream(seed);
      ChatChunkScanner byShapes = new ChatChunkScanner(shapes);
      ChatChunkScanner byWalk = new ChatChunkScanner(null);
      for (String chunk : stream.chunks()) {
        boolean broken = random.nextInt(3) == 0;
        byte[] bytes = broken ? stream.broken(chunk.getBytes(UTF_8)) : chunk.getBytes(UTF_8);
        String as = "seed " + seed + ": " + new String(bytes, UTF_8);
        boolean shaped = readBoth(byShapes, byWalk, bytes, random.nextInt(3), as);
        byShape += shaped ? 1 : 0;
        walkedAfterAll += broken && !shaped && !byWalk.likeKept() ? 1 : 0;
      }
    }
    assertThat(byShape).as("chunks read by a learnt shape").isGreaterThan(3000);
    assertThat(walkedAfterAll).as("broken chunks walked").isGreaterThan(1000);
  }

  /** Chunks that only look like a learnt one: each is walked, or read as the walk reads it. */
  @Test
  void chunksThatOnlyLookLikeALearntOneAreReadAsTheWalkReadsThem() {
    String head = String.format(HEAD, "abc", 1_733_000_000L, "gpt-4o", "0a");
    String tail = ",\"usage\":null}";
    String text = head + String.format(TEXT, "Hi") + tail;
    String usage = head + String.format(USAGE, 9, 2, 11);
    List<String> lookAlikes =
        List.of(
            text.replace("\"logprobs\"", "\"logprobz\""), // another name
            text.replace("\"finish_reason\"", "\"finish\\u005freason\""), // an escaped name
            text.replace("gpt-4o", "gpt\\/4o"), // a model with escapes
            text.replace("gpt-4o", "gpt-4ö"), // another model
            text.replace(":1733000000,", ":1733000000.5e3,"), // another number
            text.replace(":1733000000,", ":01733000000,"), // not a JSON number
            text.replace("\"Hi\"", "\"H\u0001\""), // a control character
            text.replace("\"Hi\"", "\"Hi\\q\""), // a bad escape
            text.replace("\"delta\":{", "\"delta\":{\"usage\":null,"), // a nested usage
            text.replace(tail, ",\"usage\":{\"prompt_tokens\":1}}"), // usage with text
            text.replace(tail, ",\"usage\" :null}"), // a space
            usage.replace(":9,", ":9223372036854775807,"), // a count near Long.MAX_VALUE
            usage.replace(":9,", ":92233720368547758070,"), // past it
            usage.replace(":9,", ":-9,"), // negative
            usage.replace("\"total_tokens\"", "\"totals\""),
            usage.replace("[]", "[1]"));
    ChunkShapes shapes = new ChunkShapes();
    for (String learnt : List.of(text, usage)) {
      byte[] bytes = learnt.getBytes(UTF_8);
      ChatChunkScanner first = new ChatChunkScanner(shapes);
      first.read(bytes, 0, bytes.length);
      ChatChunkScanner second = new ChatChunkScanner(shapes);
      second.read(bytes, 0, bytes.length);
      assertThat(second.byShape()).as(learnt).isTrue();
    }
    for (String chunk : lookAlikes) {
      byte[] bytes = chunk.getBytes(UTF_8);
      ChatChunkScanner byShapes = new ChatChunkScanner(shapes);
      ChatChunkScanner byWalk = new ChatChunkScanner(null);
      int shaped = byShapes.read(bytes, 0, bytes.length);
      int walked = byWalk.read(bytes, 0, bytes.length);
      assertAlike(byShapes, byWalk, shaped, walked, chunk);
    }
  }

  /**
   * A chunk read from the shape found without a second comparison with the kept one is read as
   * {@link ChatChunkScanner#read} reads it; called for a chunk it was not meant for (not the one
   * compared and looked up just before), it reads it as {@code read} does too.
   */
  @Test
  void aChunkReadFromTheShapeFoundIsReadAsWhole() {
    ChunkShapes shapes = new ChunkShapes();
    ChunkShapes sameShapes = new ChunkShapes(); // learnt alike, apart
    SplittableRandom random = new SplittableRandom(5);
    int byShape = 0;
    for (int s = 0; s < 200; s++) {
      ChatChunkScanner found = new ChatChunkScanner(shapes);
      ChatChunkScanner whole = new ChatChunkScanner(sameShapes);
      for (String chunk : stream(random)) {
        byte[] bytes = (chunk + "\n\n").getBytes(UTF_8);
        int to = bytes.length - 2;
        String as = "stream " + s + ": " + chunk;
        int like = found.readLikeKept(bytes, 0, bytes.length);
        assertThat(whole.readLikeKept(bytes, 0, bytes.length)).as(as).isEqualTo(like);
        if (like != ChatChunkScanner.OTHER) {
          continue;
        }
        int end = found.shapeEnd(bytes, 0, bytes.length);
        whole.shapeEnd(bytes, 0, bytes.length);
        whole.forgetShapeFound();
        int read;
        switch (random.nextInt(4)) {
          case 0 -> { // another chunk than the one looked up: read whole
            byte[] copy = bytes.clone();
            read = found.readShapeFound(copy, 0, to);
          }
          case 1 -> { // a chunk read since: read whole
            found.read(bytes, 0, to, true);
            whole.read(bytes, 0, to, true);
            read = found.readShapeFound(bytes, 0, to);
          }
          default ->
              read =
                  end == to ? found.readShapeFound(bytes, 0, to) : found.read(bytes, 0, to, true);
        }
        assertAlike(found, whole, read, whole.read(bytes, 0, to, true), as);
        assertThat(found.byShape()).as(as).isEqualTo(whole.byShape());
        byShape += found.byShape() ? 1 : 0;
      }
    }
    assertThat(byShape).as("chunks read by a learnt shape").isGreaterThan(400);
  }

  @Test
  void aModelWithEscapesInALearntShapeIsRefusedAsTheWalkRefusesIt() {
    ChunkShapes shapes = new ChunkShapes();
    String head = String.format(HEAD, "abc", 1_733_000_000L, "gpt-4o", "0a");
    byte[] plain = (head + FINISH + ",\"usage\":null}").getBytes(UTF_8);
    byte[] escaped =
        (head.replace("gpt-4o", "gpt\\u002d4o") + FINISH + ",\"usage\":null}").getBytes(UTF_8);
    new ChatChunkScanner(shapes).read(plain, 0, plain.length);

    ChatChunkScanner scanner = new ChatChunkScanner(shapes);
    assertThat(scanner.read(escaped, 0, escaped.length)).isEqualTo(ChatChunkScanner.OTHER);
    assertThat(scanner.byShape()).isFalse();
  }

  /**
   * A chunk's end is found by a learnt shape whether the chunk starts with its brace or with spaces
   * (as a shape learnt from such a chunk has them), followed by anything; a value that starts with
   * neither, as a stream's {@code [DONE]}, is found by none.
   */
  @Test
  void aChunksEndIsFoundByItsShapeWhateverItStartsWith() {
    String head = String.format(HEAD, "abc", 1_733_000_000L, "gpt-4o", "0a");
    for (String lead : new String[] {"", " ", "\t  "}) { // (a line break: not a one-line shape)
      ChunkShapes shapes = new ChunkShapes();
      byte[] chunk = (lead + head + FINISH + ",\"usage\":null}").getBytes(UTF_8);
      new ChatChunkScanner(shapes).read(chunk, 0, chunk.length);
      byte[] next = (lead + head + FINISH + ",\"usage\":null}\n\ndata: [DONE]").getBytes(UTF_8);
      ChatChunkScanner scanner = new ChatChunkScanner(shapes);
      assertThat(scanner.shapeEnd(next, 0, next.length)).as("[%s]", lead).isEqualTo(chunk.length);
      byte[] done = "[DONE]\n\n".getBytes(UTF_8);
      assertThat(scanner.shapeEnd(done, 0, done.length)).isEqualTo(-1);
      assertThat(scanner.shapeEnd(done, 0, 0)).isEqualTo(-1);
    }
  }

  @Test
  void shapesKeptAreBounded() {
    ChunkShapes shapes = new ChunkShapes();
    for (int i = 0; i < 3 * ChunkShapes.SIZE; i++) {
      byte[] chunk = ("{\"n" + i + "\":1,\"choices\":[],\"usage\":null}").getBytes(UTF_8);
      new ChatChunkScanner(shapes).read(chunk, 0, chunk.length);
    }
    assertThat(shapes.size()).isEqualTo(ChunkShapes.SIZE);
    byte[] large = ("{\"a\":[" + "1,".repeat(EventShapes.MAX_HOLES) + "1]}").getBytes(UTF_8);
    ChunkShapes few = new ChunkShapes();
    new ChatChunkScanner(few).read(large, 0, large.length);
    assertThat(few.size()).as("too many values to learn").isZero();
  }

  /** Streams read at once on several threads, sharing shapes, read as the walk reads them. */
  @Test
  void shapesSharedByThreadsReadAsTheWalk() throws Exception {
    ChunkShapes shapes = new ChunkShapes();
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        long seed = t;
        results.add(
            threads.submit(
                () -> {
                  SplittableRandom random = new SplittableRandom(seed);
                  int byShape = 0;
                  for (int s = 0; s < 300; s++) {
                    ChatChunkScanner byShapes = new ChatChunkScanner(shapes);
                    ChatChunkScanner byWalk = new ChatChunkScanner(null);
                    for (String chunk : stream(random)) {
                      byShape +=
                          readBoth(byShapes, byWalk, chunk.getBytes(UTF_8), 0, chunk) ? 1 : 0;
                    }
                  }
                  return byShape;
                }));
      }
      for (Future<Integer> result : results) {
        assertThat(result.get()).isGreaterThan(300);
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void aShapeMatchesOnlyAValueWithItsBytesOutsideItsHoles() {
    byte[] learnt = "{\"a\":\"x\",\"n\":12,\"t\":true}".getBytes(UTF_8);
    EventShapes.Shape shape = EventShapes.Shape.of(learnt, 0, learnt.length);
    int[] shifts = new int[EventShapes.MAX_HOLES + 1];
    for (String other :
        List.of("{\"a\":\"longer\",\"n\":-1.5e3,\"t\":true}", "{\"a\":\"\",\"n\":0,\"t\":true}")) {
      byte[] bytes = other.getBytes(UTF_8);
      assertThat(shape.match(bytes, 0, bytes.length, shifts)).as(other).isTrue();
    }
    for (String other :
        List.of(
            "{\"a\":1,\"n\":12,\"t\":true}",
            "{\"a\":\"x\",\"n\":\"12\",\"t\":true}",
            "{\"a\":\"x\",\"n\":12,\"t\":false}",
            "{\"b\":\"x\",\"n\":12,\"t\":true}",
            "{\"a\":\"x\",\"n\":12,\"t\":true} ")) {
      byte[] bytes = other.getBytes(UTF_8);
      assertThat(shape.match(bytes, 0, bytes.length, shifts)).as(other).isFalse();
    }
    assertThat(Arrays.asList(shape.holeEnd(5), shape.holeEnd(6))).containsExactly(8, -1);
    assertThat(shape.match(learnt, 0, learnt.length, shifts)).isTrue();
    assertThat(shape.match(learnt, 0, learnt.length, new int[shape.holes()]))
        .as("no room for its shifts")
        .isFalse();
  }
}
