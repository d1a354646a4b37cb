package dev.aigateway.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.ToolCallInfo;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.access.ToolAccess;
import dev.aigateway.core.agent.A2aAgent;
import dev.aigateway.core.agent.AgentCall;
import dev.aigateway.core.agent.AgentGovernance;
import dev.aigateway.core.agent.AgentInventory;
import dev.aigateway.core.agent.AgentSections;
import dev.aigateway.core.agent.McpServer;
import dev.aigateway.core.agent.ToolPolicy;
import dev.aigateway.core.inventory.GatewayInventory;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * MCP over Streamable HTTP through a wrapped OkHttp client, against a MockWebServer that answers as
 * an MCP server does (JSON or SSE, {@code Mcp-Session-Id}): access per tool and consumer, {@code
 * tools/list} filtering, limits, caps, content checks, batches and one event per request.
 */
class McpGovernanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  private static final String TOOLS =
      "[{\"name\":\"get_issue\",\"description\":\"Reads an issue\",\"inputSchema\":{\"type\":\"object\"}},"
          + " {\"name\":\"list_issues\",\"inputSchema\":{\"type\":\"object\"}},"
          + " {\"name\":\"delete_repo\",\"inputSchema\":{\"type\":\"object\"}}]";

  private final ManualClock clock = new ManualClock(Instant.parse("2026-05-04T09:00:00Z"));
  private final RecordingListener events = new RecordingListener();
  private final McpBackend backend = new McpBackend();
  private MockWebServer server;

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    server.setDispatcher(backend);
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** Answers tools/list and tools/call as an MCP server would, as JSON or (header) SSE. */
  static final class McpBackend extends Dispatcher {
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();
    volatile CountDownLatch gate = new CountDownLatch(0);
    volatile boolean sse;
    volatile boolean multiLineData; // SSE data pretty-printed over several data lines
    volatile boolean idsAsNumbers; // a numeric id written back by its value, as JavaScript does
    volatile @Nullable String idAs; // the id every answer carries instead of the request's
    volatile String result = "{\"content\":[{\"type\":\"text\",\"text\":\"issue 7 is open\"}]}";
    volatile @Nullable MockResponse listen; // the answer to a GET (else 405: no listen stream)
    volatile String trailing = ""; // text after the answer's JSON value
    volatile @Nullable RecordedRequest listened; // the last GET
    volatile String before = ""; // SSE events sent before the answer's (server requests, say)
    volatile @Nullable String answeredBody; // the body of the last POST of a client's answer
    volatile boolean cut; // an SSE answer ends before the response (a stream that broke)
    volatile @Nullable MockResponse notified; // the answer to a notification (else 202)

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      MockResponse listenStream = listen;
      if ("GET".equals(request.getMethod()) && listenStream != null) {
        listened = request;
        return listenStream;
      }
      if (!"POST".equals(request.getMethod())) {
        return new MockResponse.Builder()
            .code("GET".equals(request.getMethod()) ? 405 : 200)
            .build();
      }
      calls.incrementAndGet();
      int now = active.incrementAndGet();
      mostAtOnce.accumulateAndGet(now, Math::max);
      try {
        JsonNode body = JSON.readTree(request.getBody().utf8());
        if (!body.isObject() || body.has("id")) {
          gate.await(10, TimeUnit.SECONDS); // notifications are not held
        }
        if (body.isObject() && !body.has("id")) {
          MockResponse answer = notified;
          // a notification: accepted
          return answer != null ? answer : new MockResponse.Builder().code(202).build();
        }
        if (body.isObject() && !body.has("method") || body.isArray() && !holdsRequest(body)) {
          answeredBody = request.getBody().utf8(); // a client's answers to server requests
          return new MockResponse.Builder().code(202).build();
        }
        StringBuilder answer = new StringBuilder();
        if (body.isArray()) {
          answer.append('[');
          for (int i = 0; i < body.size(); i++) {
            answer.append(i > 0 ? "," : "").append(answer(body.get(i)));
          }
          answer.append(']');
        } else {
          answer.append(answer(body));
        }
        MockResponse.Builder response =
            new MockResponse.Builder().code(200).addHeader("Mcp-Session-Id", "session-1");
        if (sse) {
          return response
              .addHeader("Content-Type", "text/event-stream")
              .body(
                  cut
                      ? NOTIFICATION_EVENT + before
                      : NOTIFICATION_EVENT
                          + before
                          + "id: ev1\nevent: message\ndata: "
                          + (multiLineData
                              ? JSON.readTree(answer.toString())
                                  .toPrettyString()
                                  .replace("\r\n", "\n")
                                  .replace("\n", "\ndata: ")
                              : answer)
                          + trailing
                          + "\n\n")
              .build();
        }
        return response
            .addHeader("Content-Type", "application/json")
            .body(answer + trailing)
            .build();
      } catch (Exception e) {
        return new MockResponse.Builder().code(500).build();
      } finally {
        active.decrementAndGet();
      }
    }

    /** Whether a batch holds a request (a method with an id), which the server answers. */
    private static boolean holdsRequest(JsonNode batch) {
      for (JsonNode message : batch) {
        if (message.has("method") && message.has("id")) {
          return true;
        }
      }
      return false;
    }

    private String answer(JsonNode request) {
      JsonNode requestId = request.get("id");
      String id =
          idAs != null
              ? idAs
              : idsAsNumbers && requestId.isNumber()
                  ? requestId.decimalValue().stripTrailingZeros().toPlainString()
                  : requestId.toString();
      return switch (request.path("method").asText()) {
        case "tools/list" ->
            "{\"jsonrpc\":\"2.0\",\"id\":"
                + id
                + ",\"result\":{\"tools\":"
                + TOOLS
                + ",\"nextCursor\":\"c2\"}}";
        case "tools/call" ->
            "missing".equals(request.path("params").path("name").asText())
                ? "{\"jsonrpc\":\"2.0\",\"id\":"
                    + id
                    + ",\"error\":{\"code\":-32602,\"message\":\"Unknown tool: missing\"}}"
                : "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}";
        default -> "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}";
      };
    }
  }

  static final String NOTIFICATION_EVENT =
      "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
          + "\"params\":{\"progress\":1}}\n\n";

  private OkHttpClient client(McpServer.Builder mcp) {
    AiGateway gateway =
        AiGateway.builder()
            .clock(clock)
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .listener(events)
            .mcpServer(mcp)
            .build();
    return OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
  }

  private McpServer.Builder github() {
    return McpServer.builder("github", server.url("/mcp").toString())
        .access(
            ToolAccess.denyByDefault()
                .allowConsumer("alice", "get_*", "list_*")
                .allowConsumer("bob", "*"));
  }

  private String post(OkHttpClient client, String consumer, String body) throws IOException {
    Request request = mcpRequest(consumer, body);
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      return response.body().string();
    }
  }

  /**
   * A POST of the JSON-RPC {@code body} to the MCP server from {@code consumer}, accepting JSON or
   * SSE as an MCP client does.
   */
  private Request mcpRequest(String consumer, String body) {
    return rpc(server.url("/mcp"), consumer, body)
        .header("Accept", "application/json, text/event-stream")
        .build();
  }

  /** A client of the MCP server whose content checks deny "project falcon". */
  private OkHttpClient checkingForFalcon() {
    return client(github().contentChecks(ContentSafety.builder().denyWords("project falcon")));
  }

  /**
   * A POST of the JSON-RPC {@code body} ({@code application/json}) to {@code url} from {@code
   * consumer} (the {@code x-consumer-id} header the gateway resolves); callers add headers.
   */
  private static Request.Builder rpc(HttpUrl url, String consumer, String body) {
    return new Request.Builder()
        .url(url)
        .header("x-consumer-id", consumer)
        .post(RequestBody.create(body, JSON_TYPE));
  }

  /** {@link #rpc(HttpUrl, String, String)} with a body of bytes, sent as they are. */
  private static Request.Builder rpc(HttpUrl url, String consumer, byte[] body) {
    return new Request.Builder()
        .url(url)
        .header("x-consumer-id", consumer)
        .post(RequestBody.create(body, JSON_TYPE));
  }

  /** {@link #rpc(HttpUrl, String, String)} to a URL given as text. */
  private static Request.Builder rpc(String url, String consumer, String body) {
    return rpc(HttpUrl.get(url), consumer, body);
  }

  /** What the application read of an answer, as text, and the exception that ended it, if any. */
  private record ReadUntilFailure(String text, @Nullable IOException failure) {}

  /**
   * Reads the answer to {@code request} (which must be 200) as text until its end or the {@link
   * IOException} that ends it.
   */
  private static ReadUntilFailure readUntilFailure(OkHttpClient client, Request request) {
    StringBuilder read = new StringBuilder();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      java.io.Reader body = response.body().charStream();
      char[] chunk = new char[8192];
      for (int n; (n = body.read(chunk)) >= 0; ) {
        read.append(chunk, 0, n);
      }
    } catch (IOException e) {
      return new ReadUntilFailure(read.toString(), e);
    }
    return new ReadUntilFailure(read.toString(), null);
  }

  private static String call(int id, String tool, String arguments) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
        + tool
        + "\",\"arguments\":"
        + arguments
        + "}}";
  }

  /** A JSON-RPC batch of {@code messages}, in order. */
  private static String batch(String... messages) {
    return "[" + String.join(",", messages) + "]";
  }

  private static final String LIST = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";

  private static List<String> toolNames(String answer) throws IOException {
    List<String> names = new ArrayList<>();
    JSON.readTree(answer)
        .path("result")
        .path("tools")
        .forEach(t -> names.add(t.get("name").asText()));
    return names;
  }

  @Test
  void toolsListAsJsonIsFilteredPerConsumerAndEverythingElsePassesByteForByte() throws Exception {
    OkHttpClient client = client(github());

    String alice = post(client, "alice", LIST);
    String bob = post(client, "bob", LIST);

    assertThat(toolNames(alice)).containsExactly("get_issue", "list_issues");
    assertThat(toolNames(bob)).containsExactly("get_issue", "list_issues", "delete_repo");
    assertThat(bob).contains(TOOLS); // nothing to remove: untouched
    assertThat(alice)
        .startsWith("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[{\"name\":\"get_issue\"")
        .endsWith(",\"nextCursor\":\"c2\"}}");
    GatewayEvent event = events.next();
    assertThat(event.operation()).isEqualTo(Operation.EXECUTE_TOOL);
    assertThat(event.tool().method()).isEqualTo("tools/list");
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(event.tool().sessionId()).isEqualTo("session-1");
  }

  @Test
  void aResultWhoseIdAnswersNoRequestIsNotPassedUnfiltered() throws Exception {
    // The MCP TypeScript SDK matches an answer to its request by Number(id): "1", "0x1" and "1.0"
    // all answer request 1. A server writing the id so got a tools/list past the filter (and a
    // result past its checks), the gateway seeing no answer to the request at all.
    OkHttpClient client = client(github());
    for (boolean sse : new boolean[] {false, true}) {
      for (String id : new String[] {"\"1\"", "\"0x1\""}) {
        backend.sse = sse;
        backend.idAs = id;
        Request request = mcpRequest("alice", LIST);

        ReadUntilFailure read = readUntilFailure(client, request);

        assertThat(read.text()).as("sse " + sse + " id " + id).doesNotContain("delete_repo");
        assertThat(read.failure()).as("sse " + sse + " id " + id).isNotNull();
        assertThat(read.failure().getMessage()).contains("github", "answers no request");
        GatewayEvent event = events.next();
        assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
        assertThat(event.rejection()).isEqualTo(RejectionReason.CONTENT_CHECK_UNAVAILABLE);
        assertThat(events.none()).isTrue();
      }
    }
    backend.idAs = null;
    backend.sse = false;
    assertThat(toolNames(post(client, "alice", LIST))).containsExactly("get_issue", "list_issues");
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
  }

  /** Answers every POST with the JSON-RPC {@code messages}: a JSON batch, or one event each. */
  private void answerWith(boolean sse, String... messages) {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            if (!sse) {
              return Backend.json(batch(messages));
            }
            StringBuilder events = new StringBuilder();
            for (String message : messages) {
              events.append("event: message\ndata: ").append(message).append("\n\n");
            }
            return Backend.sse(events.toString());
          }
        });
  }

  @Test
  void aRepeatedResultIsCheckedAsItsRequestsAnswerWasAndEndsInAnEventOfItsOwn() throws Exception {
    // JSON-RPC answers a request once. A second result with the id of a request already answered
    // passed unchecked, with no event: a client that reads every message (or keeps the last answer
    // of an id) got what the checks stop.
    OkHttpClient client =
        client(
            github()
                .callsPerMinute(100)
                .contentChecks(ContentSafety.builder().denyWords("project falcon")));
    for (boolean sse : new boolean[] {false, true}) {
      answerWith(
          sse,
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}}",
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\","
              + "\"text\":\"project falcon ships\"}]}}",
          "{\"jsonrpc\":\"2.0\",\"id\":1.0,\"error\":{\"code\":-32603,\"message\":\"again\"}}");

      String answer = post(client, "bob", call(1, "get_issue", "{}"));

      assertThat(answer).as("sse " + sse).doesNotContain("falcon").contains("\"ok\"", "again");
      assertThat(answer).contains(String.valueOf(AgentGovernance.CONTENT_BLOCKED_CODE));
      GatewayEvent first = events.next();
      assertThat(first.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
      assertThat(first.limits().settledRequests()).isEqualTo(1);
      GatewayEvent repeat = events.next();
      assertThat(repeat.tool().method()).isEqualTo("tools/call");
      assertThat(repeat.tool().tool()).isEqualTo("get_issue");
      assertThat(repeat.tool().rpcId()).isEqualTo("1");
      assertThat(repeat.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
      assertThat(repeat.rejection()).isEqualTo(RejectionReason.CONTENT_BLOCKED);
      assertThat(repeat.safety().outcome())
          .isEqualTo(dev.aigateway.api.SafetyOutcome.ANSWER_BLOCKED);
      assertThat(repeat.limits().settledRequests()).isZero(); // no call: nothing charged
      GatewayEvent error = events.next();
      assertThat(error.tool().rpcId()).isEqualTo("1.0"); // as the server wrote it
      assertThat(error.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.ERROR);
      assertThat(error.tool().errorCode()).isEqualTo(-32603);
      assertThat(events.none()).as("sse " + sse).isTrue();
    }
  }

  @Test
  void aRepeatedToolsListAnswerIsFilteredForTheCaller() throws Exception {
    OkHttpClient client = client(github());
    String list =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":" + TOOLS.replace(" ", "") + "}}";
    for (boolean sse : new boolean[] {false, true}) {
      answerWith(sse, list, list);

      String answer = post(client, "alice", LIST);

      assertThat(answer).as("sse " + sse).doesNotContain("delete_repo").contains("get_issue");
      assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
      GatewayEvent repeat = events.next();
      assertThat(repeat.tool().method()).isEqualTo("tools/list");
      assertThat(repeat.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
      assertThat(events.none()).isTrue();
    }
  }

  @Test
  void aListedToolNamedAlsoInAnotherCaseIsLeftOutOfAFilteredList() throws Exception {
    // Go's JSON decoder reads "Name" as the name too, the last one winning: a client decoding so
    // would see delete_repo where the gateway read get_issue. Such an entry is left out unless
    // the caller may call the tool by each of its names.
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return Backend.json(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":["
                    + "{\"name\":\"get_issue\",\"Name\":\"delete_repo\",\"inputSchema\":{}},"
                    + "{\"NAME\":\"delete_repo\",\"name\":\"list_issues\",\"inputSchema\":{}},"
                    + "{\"name\":\"get_comment\",\"inputSchema\":{}},"
                    + "{\"name\":\"delete_repo\",\"inputSchema\":{}}]}}");
          }
        });
    OkHttpClient client = client(github());

    String alice = post(client, "alice", LIST);
    String bob = post(client, "bob", LIST);

    assertThat(toolNames(alice)).containsExactly("get_comment");
    assertThat(alice).doesNotContain("delete_repo");
    assertThat(toolNames(bob)).hasSize(4); // bob may call every tool: nothing to hide
    events.next();
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
  }

  /** Answers every POST with {@code body} in {@code encoding}, as a server that compresses. */
  private void answerEncoded(String encoding, byte[] body) {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return new MockResponse.Builder()
                .code(200)
                .addHeader("Content-Type", "application/json")
                .addHeader("Content-Encoding", encoding)
                .body(new okio.Buffer().write(body))
                .build();
          }
        });
  }

  private static byte[] deflated(String text) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.util.zip.DeflaterOutputStream deflater =
        new java.util.zip.DeflaterOutputStream(out)) {
      deflater.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  @Test
  void anAnswerInAnEncodingTheGatewayDoesNotReadIsNotPassedUnfiltered() throws Exception {
    // OkHttp inflates only the gzip it asked for: an answer in another encoding (deflate, which
    // a server may send unasked, or br, asked for by a network interceptor) reaches the gateway
    // compressed. A tools/list answer to filter cannot pass so: the application's read fails and
    // the request ends BLOCKED, as for an answer too large to be filtered.
    String list = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":" + TOOLS + "}}";
    OkHttpClient client = client(github());
    for (String encoding : List.of("deflate", "br")) {
      answerEncoded(encoding, deflated(list));
      Request request = rpc(server.url("/mcp"), "alice", LIST).build();
      IOException failure = null;
      byte[] read = new byte[0];
      try (Response response = client.newCall(request).execute()) {
        assertThat(response.code()).isEqualTo(200);
        read = response.body().bytes();
      } catch (IOException e) {
        failure = e;
      }
      assertThat(failure).as(encoding + ": passed " + read.length + " bytes").isNotNull();
      assertThat(failure.getMessage())
          .contains("github")
          .contains("Content-Encoding '" + encoding + "'");
      GatewayEvent event = events.next();
      assertThat(event.tool().outcome()).as(encoding).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
      assertThat(event.rejection()).isEqualTo(RejectionReason.CONTENT_CHECK_UNAVAILABLE);
      assertThat(event.tool().errorCode()).isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
      assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
      assertThat(events.none()).isTrue();
    }

    // An answer nothing filters or checks passes as it came, for the application to inflate.
    String result =
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\","
            + "\"text\":\"issue 7 is open\"}]}}";
    byte[] compressed = deflated(result);
    answerEncoded("deflate", compressed);
    Request request = rpc(server.url("/mcp"), "alice", call(2, "get_issue", "{}")).build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.header("Content-Encoding")).isEqualTo("deflate");
      assertThat(response.body().bytes()).isEqualTo(compressed);
    }
    GatewayEvent event = events.next();
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(events.none()).isTrue();
  }

  /** Runs the call and drops its answer unread and unclosed. */
  private static void callAndDrop(OkHttpClient client, Request request) throws IOException {
    Response response = client.newCall(request).execute();
    assertThat(response.code()).isEqualTo(200);
  }

  @Test
  void anAnswerDroppedUnclosedEndsItsRequestAndFreesItsSlotWhenCollected() throws Exception {
    // An application that neither reads an answer to its end nor closes it (a leak of its own)
    // must not hold the server's in-flight slot for ever: as an LLM call's body does, the answer
    // is closed when the garbage collector finds it, its request ends CANCELLED and its slot is
    // freed.
    OkHttpClient client = client(github().maxInFlight(1));
    Request request = rpc(server.url("/mcp"), "alice", call(1, "get_issue", "{}")).build();
    callAndDrop(client, request);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (events.all.isEmpty() && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    assertThat(events.all).as("the dropped answer's event").hasSize(1);
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.CANCELLED);

    // Its slot was freed: the next call goes to the server.
    String answer = post(client, "alice", call(2, "get_issue", "{}"));
    assertThat(answer).contains("issue 7 is open");
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
  }

  @Test
  void aToolListWhoseContentTypeNamesAnotherCharsetThanItsBytesIsNotPassedUnfiltered()
      throws Exception {
    // A UTF-8 answer labelled UTF-16 reads as garbage in UTF-16, and so was passed unfiltered,
    // while clients that read JSON as UTF-8 whatever the header says (fetch's Response.json(),
    // Go, Python) see every tool. What such a client reads cannot be filtered for sure: the
    // answer does not pass, as one too large to filter.
    String list = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":" + TOOLS + "}}";
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return new MockResponse.Builder()
                .code(200)
                .addHeader("Content-Type", "application/json; charset=utf-16")
                .body(new okio.Buffer().writeUtf8(list))
                .build();
          }
        });
    OkHttpClient client = client(github());
    Request request = rpc(server.url("/mcp"), "alice", LIST).build();
    IOException failure = null;
    byte[] read = new byte[0];
    try (Response response = client.newCall(request).execute()) {
      read = response.body().bytes();
    } catch (IOException e) {
      failure = e;
    }
    assertThat(new String(read, StandardCharsets.UTF_8)).doesNotContain("delete_repo");
    assertThat(failure).isNotNull();
    assertThat(failure.getMessage()).contains("github", "charset");
    GatewayEvent event = events.next();
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(event.rejection()).isEqualTo(RejectionReason.CONTENT_CHECK_UNAVAILABLE);
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aListenerThrowingAnErrorOnAToolCallsEventNeitherBreaksTheCallNorSilencesTheOthers()
      throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .clock(clock)
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .listener(
                event -> {
                  throw new NoClassDefFoundError("a listener's missing class");
                })
            .listener(events)
            .mcpServer(github())
            .build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);

    String bob = post(client, "bob", LIST);

    assertThat(toolNames(bob)).containsExactly("get_issue", "list_issues", "delete_repo");
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(events.none()).isTrue();
  }

  @Test
  void toolsListAsAnEventStreamIsFilteredEventByEvent() throws Exception {
    backend.sse = true;
    OkHttpClient client = client(github());

    String alice = post(client, "alice", LIST);

    assertThat(alice).startsWith(NOTIFICATION_EVENT); // other events byte for byte
    String rest = alice.substring(NOTIFICATION_EVENT.length());
    assertThat(rest).startsWith("id: ev1\nevent: message\ndata: ").endsWith("\n\n");
    String data = rest.substring(rest.indexOf("data: ") + 6, rest.length() - 2);
    assertThat(toolNames(data)).containsExactly("get_issue", "list_issues");
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
  }

  @Test
  void aFilteredToolsListWhoseDataSpansSeveralLinesStaysAValidEvent() throws Exception {
    backend.sse = true;
    backend.multiLineData = true;
    OkHttpClient client = client(github());

    String alice = post(client, "alice", LIST);

    assertThat(alice).startsWith(NOTIFICATION_EVENT);
    String event = alice.substring(NOTIFICATION_EVENT.length());
    assertThat(event).endsWith("\n\n");
    // Read as an SSE client reads it: every line a field, the data lines' values joined by LF.
    StringBuilder data = new StringBuilder();
    for (String line : event.substring(0, event.length() - 2).split("\n", -1)) {
      assertThat(line).as("a line of the event").matches("(id|event|data)(: .*|:|)");
      if (line.startsWith("data:")) {
        data.append(data.length() == 0 ? "" : "\n")
            .append(line.substring(line.startsWith("data: ") ? 6 : 5));
      }
    }
    assertThat(toolNames(data.toString())).containsExactly("get_issue", "list_issues");
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
  }

  @Test
  void anAnswerTheApplicationAskedCompressedIsStillFilteredAndArrivesInflated() throws Exception {
    // A server compresses its answer when asked to (Accept-Encoding: gzip). Asked by the
    // application, OkHttp would not inflate it, and the gateway would read compressed bytes: the
    // tool list would reach the application unfiltered.
    try (MockWebServer compressing = new MockWebServer()) {
      compressing.setDispatcher(
          new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
              MockResponse answer = backend.dispatch(request);
              String accepted = request.getHeaders().get("Accept-Encoding");
              if (accepted == null || !accepted.contains("gzip") || answer.getBody() == null) {
                return answer;
              }
              okio.Buffer plain = new okio.Buffer();
              okio.Buffer gzipped = new okio.Buffer();
              try {
                answer.getBody().writeTo(plain);
                try (okio.BufferedSink sink = okio.Okio.buffer(new okio.GzipSink(gzipped))) {
                  sink.writeAll(plain);
                }
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
              return answer
                  .newBuilder()
                  .addHeader("Content-Encoding", "gzip")
                  .body(gzipped)
                  .build();
            }
          });
      compressing.start();
      OkHttpClient client =
          client(
              McpServer.builder("github", compressing.url("/mcp").toString())
                  .access(ToolAccess.denyByDefault().allowConsumer("alice", "get_*", "list_*")));
      Request request =
          rpc(compressing.url("/mcp"), "alice", LIST)
              .header("Accept", "application/json, text/event-stream")
              .header("Accept-Encoding", "gzip")
              .build();

      String answer;
      try (Response response = client.newCall(request).execute()) {
        okio.BufferedSource body = response.body().source();
        answer =
            "gzip".equals(response.header("Content-Encoding"))
                ? okio.Okio.buffer(new okio.GzipSource(body)).readUtf8() // as the application would
                : body.readUtf8();
      }

      assertThat(toolNames(answer)).containsExactly("get_issue", "list_issues");
      assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    }
  }

  @Test
  void aToolListAnsweredInUtf16IsStillFilteredAndKeepsItsCharset() throws Exception {
    // JSON may come in UTF-16 (its Content-Type says so, and JSON readers such as Jackson detect
    // it): the gateway reads the answer as the client will, so the list is filtered all the same.
    try (MockWebServer utf16 = new MockWebServer()) {
      utf16.setDispatcher(
          new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
              MockResponse answer = backend.dispatch(request);
              okio.Buffer plain = new okio.Buffer();
              try {
                answer.getBody().writeTo(plain);
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
              return answer
                  .newBuilder()
                  .setHeader("Content-Type", "application/json; charset=utf-16")
                  .body(new okio.Buffer().write(plain.readUtf8().getBytes(StandardCharsets.UTF_16)))
                  .build();
            }
          });
      utf16.start();
      OkHttpClient client =
          client(
              McpServer.builder("github", utf16.url("/mcp").toString())
                  .access(ToolAccess.denyByDefault().allowConsumer("alice", "get_*", "list_*")));
      Request request = rpc(utf16.url("/mcp"), "alice", LIST).build();

      String answer;
      try (Response response = client.newCall(request).execute()) {
        assertThat(response.header("Content-Type")).contains("utf-16");
        answer = new String(response.body().bytes(), StandardCharsets.UTF_16);
      }

      assertThat(toolNames(answer)).containsExactly("get_issue", "list_issues");
      assertThat(answer).endsWith(",\"nextCursor\":\"c2\"}}");
      assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    }
  }

  @Test
  void aRequestSentCompressedIsNotSentUnread() throws Exception {
    // The gateway cannot read a compressed body, and servers that inflate request bodies would run
    // it: it is refused as unreadable, with one event.
    OkHttpClient client = client(github());
    okio.Buffer gzipped = new okio.Buffer();
    try (okio.BufferedSink sink = okio.Okio.buffer(new okio.GzipSink(gzipped))) {
      sink.writeUtf8(call(9, "delete_repo", "{}"));
    }
    Request request =
        rpc(server.url("/mcp"), "alice", gzipped.readByteArray())
            .header("Content-Encoding", "gzip")
            .build();

    try (Response response = client.newCall(request).execute()) {
      JsonNode answer = JSON.readTree(response.body().string());
      assertThat(answer.path("error").path("code").asInt()).isEqualTo(-32700);
      assertThat(answer.path("error").path("message").asText()).contains("Content-Encoding");
    }
    GatewayEvent event = events.next();
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
    assertThat(event.rejection()).isEqualTo(RejectionReason.INVALID_REQUEST);
    assertThat(events.none()).isTrue();
    assertThat(backend.calls.get()).isZero();
  }

  @Test
  void toolsListedAreRememberedUnfilteredInTheInventory() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .mcpServer(github())
            .build();
    post(OkHttpAiGateway.wrap(new OkHttpClient(), gateway), "alice", LIST);

    AgentInventory inventory = gateway.agents();
    assertThat(inventory.servers()).containsExactly("github");
    assertThat(inventory.tools("github"))
        .extracting(AgentInventory.SeenTool::name)
        .containsExactly("get_issue", "list_issues", "delete_repo");
    assertThat(inventory.tools("github").get(0).description()).isEqualTo("Reads an issue");
  }

  @Test
  void theGatewayInventoryListsServersWithTheirLimitsAndToolsAndAgents() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .mcpServer(
                github()
                    .callsPerMinute(100)
                    .tool("delete_repo", ToolPolicy.builder().callsPerMinute(2).maxInFlight(1)))
            .agent(A2aAgent.builder("planner", "https://agents.example.com/a2a").maxInFlight(3))
            .build();
    post(OkHttpAiGateway.wrap(new OkHttpClient(), gateway), "alice", LIST);

    GatewayInventory inventory = gateway.inventory();
    @SuppressWarnings("unchecked")
    List<AgentSections.Server> servers =
        (List<AgentSections.Server>) inventory.sections().get(GatewayInventory.MCP_SERVERS);
    assertThat(servers).hasSize(1);
    AgentSections.Server github = servers.get(0);
    assertThat(github.name()).isEqualTo("github");
    assertThat(github.limits().callsPerMinute()).isEqualTo(100);
    assertThat(github.toolLimits().get("delete_repo").maxInFlight()).isEqualTo(1);
    assertThat(github.toolsListed())
        .extracting(AgentSections.Tool::name)
        .containsExactly("get_issue", "list_issues", "delete_repo");
    String json = inventory.toJson();
    assertThat(json)
        .contains("\"mcpServers\":[{\"name\":\"github\"")
        .contains("\"agents\":[{\"id\":\"planner\",\"url\":\"https://agents.example.com:443/a2a\"")
        .contains("\"cardUrl\":\"https://agents.example.com:443/.well-known/agent-card.json\"")
        .contains("\"maxInFlight\":3");
  }

  @Test
  void anAllowedToolCallIsSentAndReportedWithItsSizes() throws Exception {
    OkHttpClient client = client(github());
    String arguments = "{\"number\":7}";

    String answer = post(client, "alice", call(5, "get_issue", arguments));

    assertThat(answer)
        .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":" + backend.result + "}");
    GatewayEvent event = events.next();
    ToolCallInfo tool = event.tool();
    assertThat(tool.kind()).isEqualTo(ToolCallInfo.Kind.MCP);
    assertThat(tool.target()).isEqualTo("github");
    assertThat(tool.tool()).isEqualTo("get_issue");
    assertThat(tool.rpcId()).isEqualTo("5");
    assertThat(tool.outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(tool.argumentBytes())
        .isEqualTo(("{\"name\":\"get_issue\",\"arguments\":" + arguments + "}").length());
    assertThat(tool.resultBytes()).isEqualTo(backend.result.length());
    assertThat(event.consumer()).isEqualTo("alice");
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.access().rule()).isEqualTo("allow:consumer:alice");
    assertThat(events.none()).isTrue();
  }

  @Test
  void aToolCallWrittenAsANotificationIsGovernedAsTheRequestItIs() throws Exception {
    // tools/call is a request; written without an id it reads as a notification, which a server
    // that runs notifications (JSON-RPC allows it) would run: a denied tool so reached the server
    // ungoverned. It is governed as a request with a null id: refused here, answered locally.
    OkHttpClient client = client(github());
    String denied =
        "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"delete_repo\"}}";

    String answer;
    try (Response response =
        client.newCall(rpc(server.url("/mcp"), "alice", denied).build()).execute()) {
      answer = response.body().string();
    }

    JsonNode error = JSON.readTree(answer);
    assertThat(error.get("id").isNull()).isTrue();
    assertThat(error.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    assertThat(backend.calls.get()).isZero();
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(event.rejection()).isEqualTo(RejectionReason.ACCESS_DENIED);
    assertThat(events.none()).isTrue();
  }

  @Test
  void anAllowedToolCallWrittenAsANotificationIsSentAndEndsInOneEvent() throws Exception {
    // The server accepts it as a notification (202, no body): the call was sent, one event.
    OkHttpClient client = client(github());
    String allowed =
        "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"get_issue\"}}";

    try (Response response =
        client.newCall(rpc(server.url("/mcp"), "alice", allowed).build()).execute()) {
      assertThat(response.code()).isEqualTo(202);
      response.body().string();
    }

    assertThat(backend.calls.get()).isEqualTo(1);
    GatewayEvent event = events.next();
    assertThat(event.tool().tool()).isEqualTo("get_issue");
    assertThat(event.outcome()).isNotEqualTo(CallOutcome.REJECTED);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aDeniedToolIsAnsweredLocallyWithAJsonRpcErrorAndNeverSent() throws Exception {
    OkHttpClient client = client(github());

    String answer = post(client, "alice", call(9, "delete_repo", "{}"));

    JsonNode error = JSON.readTree(answer);
    assertThat(error.get("id").asInt()).isEqualTo(9);
    assertThat(error.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    assertThat(error.path("error").path("message").asText())
        .contains("delete_repo", "github", "alice");
    assertThat(error.path("error").path("data").path("rule").asText()).isEqualTo("default");
    assertThat(backend.calls.get()).isZero();
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(event.rejection()).isEqualTo(RejectionReason.ACCESS_DENIED);
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
    assertThat(event.tool().errorCode()).isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
  }

  @Test
  void aToolCallBeyondTheJsonParsersBoundsIsNotSent() throws Exception {
    // Valid JSON that many servers read (JavaScript's JSON.parse has none of these bounds) but the
    // gateway's parser refuses: a number of 1,001 digits, a member name of 60,000 characters,
    // arrays 1,100 levels deep. What the call asks for cannot be checked, so it is not sent.
    OkHttpClient client = client(github());
    String nested = "[".repeat(1_100) + "]".repeat(1_100);
    List<String> arguments =
        List.of(
            "{\"n\":" + "9".repeat(1_001) + "}",
            "{\"" + "k".repeat(60_000) + "\":1}",
            "{\"deep\":" + nested + "}");

    for (String argument : arguments) {
      JsonNode answer = JSON.readTree(post(client, "alice", call(9, "delete_repo", argument)));

      assertThat(answer.path("error").path("code").asInt())
          .as(argument.substring(0, 20))
          .isEqualTo(-32700);
      assertThat(answer.get("id").isNull()).isTrue();
      assertThat(answer.path("error").path("message").asText()).contains("github", "not sent");
    }

    assertThat(backend.calls.get()).as("calls that reached the server").isZero();
  }

  @Test
  void aBodyTheGatewayCannotReadWholeIsRefusedWithOneEvent() throws Exception {
    // Followed by more text (many servers read the first value and ignore the rest), or beyond
    // the parser's bounds: answered locally with JSON-RPC's parse error, and, as every refused
    // call, reported in exactly one event.
    OkHttpClient client = client(github());
    List<String> bodies =
        List.of(
            call(9, "delete_repo", "{}") + " trailing text",
            call(9, "delete_repo", "{\"n\":" + "9".repeat(1_001) + "}"));

    for (String body : bodies) {
      JsonNode answer = JSON.readTree(post(client, "alice", body));
      assertThat(answer.path("error").path("code").asInt()).isEqualTo(-32700);

      GatewayEvent event = events.next();
      assertThat(event.operation()).isEqualTo(Operation.EXECUTE_TOOL);
      assertThat(event.consumer()).isEqualTo("alice");
      assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
      assertThat(event.rejection()).isEqualTo(RejectionReason.INVALID_REQUEST);
      assertThat(event.tool().kind()).isEqualTo(ToolCallInfo.Kind.MCP);
      assertThat(event.tool().target()).isEqualTo("github");
      assertThat(event.tool().tool()).isNull();
      assertThat(event.tool().rpcId()).isEqualTo("null");
      assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
      assertThat(event.tool().errorCode()).isEqualTo(-32700);
      assertThat(events.none()).isTrue();
    }
    assertThat(backend.calls.get()).as("calls that reached the server").isZero();
  }

  @Test
  void aLocalRefusalEchoesTheRequestIdExactlyAsTheClientWroteIt() throws Exception {
    // A client matches an answer to its request by the id it sent: a number beyond a double's
    // range, or written with an exponent or trailing zeros, comes back as written, not as the
    // parser's reading of it ("Infinity", 100.0).
    OkHttpClient client = client(github());

    for (String id : new String[] {"1e400", "-1E+400", "1E2", "1.50", "-0", "\"\\u0061\""}) {
      String body =
          "{\"jsonrpc\":\"2.0\",\"id\":"
              + id
              + ",\"method\":\"tools/call\",\"params\":{\"name\":\"delete_repo\"}}";

      String answer = post(client, "alice", body);

      assertThat(answer).as(id).startsWith("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":");
      assertThat(JSON.readTree(answer).path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
      assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
    }
    assertThat(backend.calls.get()).isZero();
  }

  @Test
  void aToolNamedByANumberOrABooleanIsCheckedAsTheTextAServerReadsItAs() throws Exception {
    // MCP servers (the MCP Java SDK among them) read a scalar name as its text: 123, "123".
    OkHttpClient client = client(github());

    for (String name : new String[] {"123", "true"}) {
      String body =
          "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":"
              + name
              + ",\"arguments\":{}}}";

      JsonNode error = JSON.readTree(post(client, "alice", body));

      assertThat(error.path("error").path("code").asInt())
          .as(name)
          .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
      GatewayEvent event = events.next();
      assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
      assertThat(event.tool().tool()).isEqualTo(name);
    }
    assertThat(backend.calls.get()).isZero();
  }

  @Test
  void aToolCallWhoseNameTheGatewayCannotReadIsRefusedWhenAccessOrToolRulesApply()
      throws Exception {
    // Go's encoding/json matches member names case-insensitively: a server written in Go reads
    // "NAME" or "Name" as the tool's name. A name the gateway cannot read is refused under any
    // access rule or tool policy, since what the server would run is not known.
    OkHttpClient client = client(github());
    List<String> params =
        List.of(
            "{\"NAME\":\"delete_repo\",\"arguments\":{}}",
            "{\"Name\":\"delete_repo\"}",
            "{\"name\":{\"x\":1}}",
            "{\"name\":null}",
            "{\"arguments\":{}}",
            "[\"delete_repo\"]");

    for (String p : params) {
      String body = "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":" + p + "}";

      JsonNode error = JSON.readTree(post(client, "alice", body));

      assertThat(error.path("id").asInt()).as(p).isEqualTo(5);
      assertThat(error.path("error").path("code").asInt())
          .as(p)
          .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
      assertThat(error.path("error").path("message").asText()).contains("github", "tool name");
      GatewayEvent event = events.next();
      assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
      assertThat(event.rejection()).isEqualTo(RejectionReason.ACCESS_DENIED);
      assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
    }
    assertThat(backend.calls.get()).as("calls that reached the server").isZero();
    assertThat(events.none()).isTrue();
  }

  @Test
  void aToolNameGivenAlsoInAnotherCaseIsRefusedAsAmbiguous() throws Exception {
    // Go's encoding/json reads "NAME" as the name too, and the last one wins there: such a server
    // would run delete_repo while the gateway reads the allowed get_issue.
    OkHttpClient client = client(github());

    JsonNode error =
        JSON.readTree(
            post(
                client,
                "alice",
                "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
                    + "{\"name\":\"get_issue\",\"NAME\":\"delete_repo\",\"arguments\":{}}}"));

    assertThat(error.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    assertThat(backend.calls.get()).isZero();
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
  }

  /**
   * The answer to a message refused as invalid JSON-RPC and the event of the batch's other member
   * ({@code null} when the message was no batch).
   */
  private record NotSent(JsonNode answer, @Nullable GatewayEvent otherMember) {}

  /**
   * Posts {@code body} (one message, or a batch whose second member is the invalid one) as alice
   * and asserts it was not sent as invalid JSON-RPC: a -32600 error naming the server, "not sent"
   * and {@code why}; the batch's other member refused with it (BATCH_MEMBER_REFUSED); then one
   * REJECTED INVALID_REQUEST event whose tool call was NOT_SENT with -32600, and no other event.
   */
  private NotSent postedAndNotSentAsInvalid(OkHttpClient client, String body, String why)
      throws Exception {
    JsonNode answer = JSON.readTree(post(client, "alice", body));

    JsonNode refused = answer.isArray() ? answer.get(1) : answer;
    assertThat(refused.path("error").path("code").asInt()).as(body).isEqualTo(-32600);
    assertThat(refused.path("error").path("message").asText())
        .as(body)
        .contains("github", "not sent", why);
    GatewayEvent event = events.next();
    GatewayEvent otherMember = null;
    if (answer.isArray()) {
      assertThat(event.rejection()).isEqualTo(RejectionReason.BATCH_MEMBER_REFUSED);
      otherMember = event;
      event = events.next();
    }
    assertThat(event.outcome()).as(body).isEqualTo(CallOutcome.REJECTED);
    assertThat(event.rejection()).isEqualTo(RejectionReason.INVALID_REQUEST);
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
    assertThat(event.tool().errorCode()).isEqualTo(-32600);
    assertThat(events.none()).as(body).isTrue();
    return new NotSent(answer, otherMember);
  }

  @Test
  void aMessageWithAJsonRpcMemberNameInAnotherCaseIsNotSent() throws Exception {
    // Go's JSON decoder reads "Method", "ID", "Params" (and "paramſ", folded as Unicode folds it)
    // as method, id and params: a server decoding that way runs what such a message asks for,
    // where the gateway saw no request, or another one. Such a message is not valid JSON-RPC
    // (member names are case-sensitive) and is not sent.
    OkHttpClient client = client(github());
    List<String> bodies =
        List.of(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"Method\":\"tools/call\",\"params\":{\"name\":\"delete_repo\"}}",
            "{\"jsonrpc\":\"2.0\",\"ID\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"delete_repo\"}}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"get_issue\"},"
                + "\"Params\":{\"name\":\"delete_repo\"}}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"param\u017f\":{\"name\":\"delete_repo\"}}",
            "["
                + call(2, "get_issue", "{}")
                + ",{\"jsonrpc\":\"2.0\",\"Id\":3,\"method\":\"ping\"}]");

    for (String body : bodies) {
      NotSent notSent = postedAndNotSentAsInvalid(client, body, "another case");

      if (notSent.answer().isArray()) {
        assertThat(notSent.otherMember().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
      }
    }
    assertThat(backend.calls.get()).as("calls that reached the server").isZero();
  }

  @Test
  void aMessageWhoseMethodIsNotAStringIsNotSent() throws Exception {
    // JSON-RPC's method is a string; a server dispatching by a map or object lookup reads another
    // value as text (JavaScript's handlers[["tools/call"]] is handlers["tools/call"]), so such a
    // message may run a tool the gateway never saw asked for. It is not valid JSON-RPC and is not
    // sent: -32600, one NOT_SENT event, as a member name in another case.
    OkHttpClient client = client(github());
    List<String> bodies =
        List.of(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":[\"tools/call\"],\"params\":{\"name\":\"delete_repo\"}}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7,\"params\":{\"name\":\"delete_repo\"}}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":{\"name\":\"tools/call\"}}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":null,\"params\":{\"name\":\"delete_repo\"}}",
            "{\"jsonrpc\":\"2.0\",\"method\":[\"tools/call\"],\"params\":{\"name\":\"delete_repo\"}}",
            "[" + call(2, "get_issue", "{}") + ",{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":true}]");

    for (String body : bodies) {
      NotSent notSent = postedAndNotSentAsInvalid(client, body, "method");

      if (notSent.answer().isArray()) {
        assertThat(notSent.answer().get(0).path("error").path("code").asInt())
            .isEqualTo(AgentGovernance.NOT_SENT_CODE);
      }
    }
    assertThat(backend.calls.get()).as("calls that reached the server").isZero();
  }

  @Test
  void aResponseTheClientSendsWithANullMethodPassesAsAResponse() throws Exception {
    // Serializers that write every member write a response's absent method as null: it is still
    // the response it is (to a request the server sent), passed on with no event.
    OkHttpClient client = client(github());
    String response = "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":null,\"result\":{}}";

    try (Response answer =
        client.newCall(rpc(server.url("/mcp"), "alice", response).build()).execute()) {
      answer.body().string();
    }

    assertThat(backend.calls.get()).isEqualTo(1);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aToolCallWithoutAReadableNameUnderATargetedToolPolicyIsRefused() throws Exception {
    OkHttpClient client =
        client(
            McpServer.builder("github", server.url("/mcp").toString())
                .tool("create_issue", ToolPolicy.builder().maxArgumentBytes(10)));

    JsonNode error =
        JSON.readTree(
            post(
                client,
                "alice",
                "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","
                    + "\"params\":{\"Name\":\"create_issue\",\"arguments\":{\"t\":\"long text\"}}}"));

    assertThat(error.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    assertThat(backend.calls.get()).isZero();
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
  }

  @Test
  void withoutAccessRulesOrToolPoliciesAToolCallWithoutAReadableNamePassesAsItIs()
      throws Exception {
    OkHttpClient client = client(McpServer.builder("github", server.url("/mcp").toString()));

    JsonNode answer =
        JSON.readTree(
            post(
                client,
                "alice",
                "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","
                    + "\"params\":{\"Name\":\"get_issue\"}}"));

    assertThat(answer.has("result")).isTrue();
    assertThat(backend.calls.get()).isEqualTo(1);
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.tool().tool()).isNull();
  }

  @Test
  void aDeniedToolInUtf16OrUtf32JsonIsRefusedLikeItsUtf8Form() throws Exception {
    OkHttpClient client = client(github());

    // JSON parsers tell UTF-16 and UTF-32 from the first bytes, with or without a charset.
    for (String charset : List.of("UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE", "UTF-16")) {
      Request request =
          rpc(
                  server.url("/mcp"),
                  "alice",
                  call(9, "delete_repo", "{}").getBytes(java.nio.charset.Charset.forName(charset)))
              .build();
      try (Response response = client.newCall(request).execute()) {
        JsonNode error = JSON.readTree(response.body().string());
        assertThat(error.path("error").path("code").asInt())
            .as(charset)
            .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
      }
      assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
    }
    assertThat(backend.calls.get()).isZero();
  }

  @Test
  void aUtf8BodyWhoseContentTypeNamesAnotherCharsetIsNotSent() throws Exception {
    // Servers differ in how they read a body's charset: many decode as its Content-Type says, but
    // Go's encoding/json, Python's json.loads on bytes and fetch's Request.json() read JSON as
    // UTF-8 (or the UTF-16/32 its first bytes show) whatever the header names. A UTF-8 call to a
    // denied tool labelled UTF-16 reads as garbage in UTF-16, so it must not pass ungoverned to a
    // server that reads it as UTF-8 and runs it.
    OkHttpClient client = client(github());
    byte[] utf8 = call(9, "delete_repo", "{}").getBytes(StandardCharsets.UTF_8);
    for (String charset : List.of("utf-16", "utf-16le", "UTF-32BE")) {
      Request request =
          new Request.Builder()
              .url(server.url("/mcp"))
              .header("x-consumer-id", "alice")
              .post(RequestBody.create(utf8, MediaType.get("application/json; charset=" + charset)))
              .build();
      try (Response response = client.newCall(request).execute()) {
        JsonNode error = JSON.readTree(response.body().string());
        assertThat(error.path("error").path("code").asInt()).as(charset).isEqualTo(-32700);
        assertThat(error.path("error").path("message").asText())
            .as(charset)
            .contains("github", "charset");
      }
      GatewayEvent event = events.next();
      assertThat(event.tool().outcome()).as(charset).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
      assertThat(event.rejection()).isEqualTo(RejectionReason.INVALID_REQUEST);
      assertThat(backend.calls.get()).as(charset + ": calls that reached the server").isZero();
    }

    // A body that reads the same either way (ASCII labelled ISO-8859-1) is governed as usual.
    Request latin1 =
        new Request.Builder()
            .url(server.url("/mcp"))
            .header("x-consumer-id", "alice")
            .post(RequestBody.create(utf8, MediaType.get("application/json; charset=iso-8859-1")))
            .build();
    try (Response response = client.newCall(latin1).execute()) {
      assertThat(JSON.readTree(response.body().string()).path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    }
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
    assertThat(backend.calls.get()).isZero();
  }

  @Test
  void aSentToolCallsEventSaysWhichRequestAndInFlightCountersItWasChargedTo() throws Exception {
    OkHttpClient client =
        client(
            github()
                .callsPerMinute(100)
                .maxInFlight(4)
                .tool("get_issue", ToolPolicy.builder().callsPerMinute(10).maxInFlight(2)));

    post(client, "alice", call(1, "get_issue", "{}"));

    dev.aigateway.api.LimitsInfo limits = events.next().limits();
    assertThat(limits.outcome()).isEqualTo(dev.aigateway.api.LimitOutcome.SETTLED);
    assertThat(limits.reservedRequests()).isEqualTo(1); // one request on each request rate
    assertThat(limits.settledRequests()).isEqualTo(1); // sent: kept
    assertThat(limits.inFlightSlots()).isEqualTo(2); // the server's cap and the tool's
    assertThat(limits.reservedTokens()).isZero();
  }

  @Test
  void anErrorThrownBelowTheGatewayEndsTheCallAndFreesItsInFlightSlot() throws Exception {
    OkHttpClient governed = client(github().maxInFlight(1));
    AtomicInteger failing = new AtomicInteger(1);
    OkHttpClient client =
        governed
            .newBuilder()
            .addNetworkInterceptor(
                chain -> {
                  if (failing.getAndDecrement() > 0) {
                    throw new AssertionError("an application's network interceptor failed");
                  }
                  return chain.proceed(chain.request());
                })
            .build();

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> post(client, "alice", call(1, "get_issue", "{}")))
        .isInstanceOf(AssertionError.class);

    GatewayEvent failed = events.next();
    assertThat(failed.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(failed.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.TRANSPORT_ERROR);
    // The one in-flight slot was given back: the next call is sent, not refused.
    assertThat(post(client, "alice", call(2, "get_issue", "{}"))).contains("\"result\"");
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aRateLimitedToolIsRefusedWithRetryAfterUntilItsBucketRefills() throws Exception {
    OkHttpClient client =
        client(github().tool("get_issue", ToolPolicy.builder().callsPerMinute(2)));

    post(client, "alice", call(1, "get_issue", "{}"));
    post(client, "alice", call(2, "get_issue", "{}"));
    JsonNode refused = JSON.readTree(post(client, "alice", call(3, "get_issue", "{}")));
    String otherTool = post(client, "alice", call(4, "list_issues", "{}"));
    String otherConsumer = post(client, "bob", call(5, "get_issue", "{}"));

    assertThat(refused.path("error").path("code").asInt()).isEqualTo(AgentGovernance.LIMITED_CODE);
    JsonNode data = refused.path("error").path("data");
    assertThat(data.path("limit").asText()).isEqualTo("mcp:github/tool:get_issue/request-rate");
    assertThat(data.path("retryAfter").asLong()).isEqualTo(30);
    assertThat(otherTool).contains("\"result\"");
    assertThat(otherConsumer).contains("\"result\"");
    assertThat(backend.calls.get()).isEqualTo(4);

    clock.advance(Duration.ofSeconds(30));
    assertThat(post(client, "alice", call(6, "get_issue", "{}"))).contains("\"result\"");

    List<ToolCallInfo.Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      outcomes.add(events.next().tool().outcome());
    }
    assertThat(outcomes)
        .containsExactly(
            ToolCallInfo.Outcome.OK,
            ToolCallInfo.Outcome.OK,
            ToolCallInfo.Outcome.LIMITED,
            ToolCallInfo.Outcome.OK,
            ToolCallInfo.Outcome.OK,
            ToolCallInfo.Outcome.OK);
  }

  @Test
  void aToolPolicyAppliesToItsToolNamedInAnotherCaseAsAccessPatternsDo() throws Exception {
    // Access patterns ignore case, and a server may too: a tool's own limits are not escaped by
    // naming it "GET_ISSUE".
    OkHttpClient client =
        client(github().tool("get_issue", ToolPolicy.builder().callsPerMinute(1)));

    post(client, "alice", call(1, "get_issue", "{}"));
    JsonNode refused = JSON.readTree(post(client, "alice", call(2, "GET_Issue", "{}")));

    assertThat(refused.path("error").path("code").asInt()).isEqualTo(AgentGovernance.LIMITED_CODE);
    assertThat(refused.path("error").path("data").path("limit").asText())
        .isEqualTo("mcp:github/tool:get_issue/request-rate");
    assertThat(backend.calls.get()).isEqualTo(1);
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.LIMITED);
  }

  @Test
  void twoToolPoliciesWhoseNamesDifferOnlyInCaseAreRefusedAtBuildTime() {
    McpServer.Builder server = github().tool("get_issue", ToolPolicy.builder().callsPerMinute(1));

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> server.tool("Get_Issue", ToolPolicy.builder().callsPerMinute(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Get_Issue")
        .hasMessageContaining("github")
        .hasMessageContaining("get_issue");
  }

  @Test
  void argumentsAboveTheCapAreRefusedBeforeSending() throws Exception {
    OkHttpClient client = client(github().maxArgumentBytes(64));

    JsonNode answer =
        JSON.readTree(
            post(client, "alice", call(1, "get_issue", "{\"body\":\"" + "x".repeat(100) + "\"}")));

    assertThat(answer.path("error").path("code").asInt()).isEqualTo(AgentGovernance.TOO_LARGE_CODE);
    assertThat(answer.path("error").path("data").path("maxArgumentBytes").asLong()).isEqualTo(64);
    assertThat(backend.calls.get()).isZero();
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.TOO_LARGE);
  }

  @Test
  void contentChecksBlockArgumentsBeforeSendingAndResultsOnTheirWayBack() throws Exception {
    OkHttpClient client = checkingForFalcon();

    JsonNode blockedArgs =
        JSON.readTree(
            post(client, "alice", call(1, "get_issue", "{\"q\":\"about Project Falcon\"}")));
    assertThat(blockedArgs.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(backend.calls.get()).isZero();

    backend.result = "{\"content\":[{\"type\":\"text\",\"text\":\"see project falcon\"}]}";
    JsonNode blockedResult = JSON.readTree(post(client, "alice", call(2, "get_issue", "{}")));
    assertThat(blockedResult.get("id").asInt()).isEqualTo(2);
    assertThat(blockedResult.has("result")).isFalse();
    assertThat(blockedResult.path("error").path("data").path("check").asText())
        .isEqualTo("deny-words");
    assertThat(backend.calls.get()).isEqualTo(1);
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
  }

  @Test
  void anErrorWhileAdmittingReachesTheApplicationAsAnIOExceptionWithOneEvent() throws Exception {
    // A caller resolver of the application's that throws an AssertionError (not an exception):
    // the tool call fails as an LLM call does, with an IOException, one FAILED event and nothing
    // sent, instead of the Error itself reaching the application with no event.
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .clock(clock)
                .consumerKey(KeyResolvers.header("x-consumer-id"))
                .callerResolver(
                    request -> {
                      throw new AssertionError("caller checked by an assert");
                    })
                .listener(events)
                .mcpServer(github().maxInFlight(1))
                .build());

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> post(client, "alice", call(3, "get_issue", "{}")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("could not be admitted")
        .hasRootCauseInstanceOf(AssertionError.class);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo(AssertionError.class.getName());
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
    assertThat(events.none()).isTrue();
    assertThat(backend.calls.get()).isZero();
  }

  @Test
  void aConsumerKeyResolverThatThrowsAnErrorIsLoggedAndIgnored() throws Exception {
    // README: a key resolver that throws is logged and ignored; an Error too. The call has no
    // consumer then, so the access rules (alice and bob only) refuse it, with its event.
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .clock(clock)
                .consumerKey(
                    request -> {
                      throw new AssertionError("consumer checked by an assert");
                    })
                .listener(events)
                .mcpServer(github())
                .build());

    JsonNode answer = JSON.readTree(post(client, "alice", call(4, "get_issue", "{}")));

    assertThat(answer.get("id").asInt()).isEqualTo(4);
    assertThat(answer.has("error")).isTrue();
    assertThat(events.next().tool().outcome()).isNotEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(events.none()).isTrue();
    assertThat(backend.calls.get()).isZero();
  }

  @Test
  void aConsumerResolvedWithSurroundingSpaceIsTheConsumerItsRulesName() throws Exception {
    // Tool access rules read their consumer ids trimmed; the consumer a resolver gives a tool
    // call is trimmed too, as an LLM call's is: " alice " is alice, with alice's tools and name.
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .clock(clock)
                .consumerKey(request -> " " + request.header("x-consumer-id") + "\t")
                .listener(events)
                .mcpServer(github())
                .build());

    JsonNode answer = JSON.readTree(post(client, "alice", call(5, "get_issue", "{}")));

    assertThat(answer.has("error")).as("%s", answer).isFalse();
    GatewayEvent event = events.next();
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(event.consumer()).isEqualTo("alice");
    assertThat(backend.calls.get()).isEqualTo(1);
  }

  @Test
  void aBlockedToolCallsEventSaysWhatContentSafetyFound() throws Exception {
    // Every call's event says what content safety found (event.safety()), so that listeners and
    // the safety meters see tool calls' blocks as they see LLM calls'.
    OkHttpClient client = checkingForFalcon();

    post(client, "alice", call(1, "get_issue", "{\"q\":\"about Project Falcon\"}"));
    GatewayEvent arguments = events.next();
    backend.result = "{\"content\":[{\"type\":\"text\",\"text\":\"see project falcon\"}]}";
    post(client, "alice", call(2, "get_issue", "{}"));
    GatewayEvent result = events.next();
    backend.result = "{\"content\":[{\"type\":\"text\",\"text\":\"all clear\"}]}";
    post(client, "alice", call(3, "get_issue", "{}"));
    GatewayEvent passed = events.next();

    assertThat(arguments.safety().outcome()).isEqualTo(dev.aigateway.api.SafetyOutcome.BLOCKED);
    assertThat(arguments.safety().check()).isEqualTo("deny-words");
    assertThat(arguments.safety().category()).isEqualTo("denied-word");
    assertThat(result.safety().outcome()).isEqualTo(dev.aigateway.api.SafetyOutcome.ANSWER_BLOCKED);
    assertThat(result.safety().check()).isEqualTo("deny-words");
    assertThat(passed.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(passed.safety().outcome()).isEqualTo(dev.aigateway.api.SafetyOutcome.PASSED);
  }

  @Test
  void aCardNumberSentOrAnsweredAsAJsonNumberIsCheckedAsItsDecimalText() throws Exception {
    // A tool's arguments and results are JSON: a card number is as often a number as a string
    // ({"card": 4111111111111111}, or 4.111111111111111e15, the same value), and the tool reads
    // and returns it so. Numbers are checked as their decimal text, strings as they are.
    OkHttpClient client =
        client(
            github()
                .contentChecks(
                    ContentSafety.builder()
                        .pii(
                            dev.aigateway.core.safety.PiiDetector.cardNumber(),
                            dev.aigateway.core.safety.SafetyAction.BLOCK)));

    JsonNode integer =
        JSON.readTree(post(client, "alice", call(1, "get_issue", "{\"card\":4111111111111111}")));
    GatewayEvent integerEvent = events.next();
    JsonNode exponent =
        JSON.readTree(
            post(client, "alice", call(2, "get_issue", "{\"card\":[4.111111111111111e15]}")));
    GatewayEvent exponentEvent = events.next();
    assertThat(backend.calls.get()).isZero();
    backend.result =
        "{\"content\":[{\"type\":\"text\",\"text\":\"card on file\"}],"
            + "\"structuredContent\":{\"card\":5555555555554444}}";
    JsonNode result = JSON.readTree(post(client, "alice", call(3, "get_issue", "{\"n\":7}")));
    GatewayEvent resultEvent = events.next();

    assertThat(integer.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(integerEvent.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(exponent.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(exponentEvent.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(backend.calls.get()).isEqualTo(1); // the third call only
    assertThat(result.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(result.has("result")).isFalse();
    assertThat(resultEvent.safety().outcome())
        .isEqualTo(dev.aigateway.api.SafetyOutcome.ANSWER_BLOCKED);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aCardNumberWrittenAsAMemberNameIsCheckedAsAValueIs() throws Exception {
    // JSON object member names are data too: a tool that takes a map ({"4111...": "visa"}) or
    // returns one in structuredContent reads and returns them as the values they are.
    OkHttpClient client =
        client(
            github()
                .contentChecks(
                    ContentSafety.builder()
                        .pii(
                            dev.aigateway.core.safety.PiiDetector.cardNumber(),
                            dev.aigateway.core.safety.SafetyAction.BLOCK)));

    JsonNode argument =
        JSON.readTree(
            post(
                client,
                "alice",
                call(1, "get_issue", "{\"cards\":{\"4111 1111 1111 1111\":\"visa\"}}")));
    GatewayEvent argumentEvent = events.next();
    assertThat(backend.calls.get()).isZero();
    backend.result =
        "{\"content\":[{\"type\":\"text\",\"text\":\"cards on file\"}],"
            + "\"structuredContent\":{\"5555555555554444\":{\"brand\":\"mastercard\"}}}";
    String answer = post(client, "alice", call(2, "get_issue", "{\"n\":7}"));
    GatewayEvent resultEvent = events.next();

    assertThat(argument.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(argumentEvent.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(backend.calls.get()).isEqualTo(1); // the second call only
    assertThat(answer).doesNotContain("5555555555554444");
    assertThat(JSON.readTree(answer).path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(resultEvent.safety().outcome())
        .isEqualTo(dev.aigateway.api.SafetyOutcome.ANSWER_BLOCKED);
    assertThat(events.none()).isTrue();
  }

  /** An SSE event of a request the server sends the client. */
  private static String serverRequest(String id, String method, String params) {
    return "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\""
        + method
        + "\",\"params\":"
        + params
        + "}\n\n";
  }

  /** The JSON-RPC messages of the data lines of an event stream, in order. */
  private static List<JsonNode> messages(String stream) throws IOException {
    List<JsonNode> messages = new ArrayList<>();
    for (String line : stream.split("\n")) {
      if (line.startsWith("data: ")) {
        messages.add(JSON.readTree(line.substring(6)));
      }
    }
    return messages;
  }

  @Test
  void aServersSamplingAndElicitationRequestsAndTheClientsAnswersAreChecked() throws Exception {
    // During a tools/call the server asks the client's LLM (sampling/createMessage) and its user
    // (elicitation/create) on the call's event stream, and the client POSTs its answers back:
    // a prompt the checks would stop must not reach the client's LLM that way, nor may the
    // client's answer carry such data out. Requests the checks stop are renamed so no client runs
    // them (a client answers them "method not found", failing the server's request at once).
    OkHttpClient client = checkingForFalcon();
    backend.sse = true;
    backend.before =
        serverRequest(
                "\"s1\"",
                "sampling/createMessage",
                "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\","
                    + "\"text\":\"Summarize Project Falcon\"}}],\"maxTokens\":100}")
            + serverRequest(
                "2",
                "elicitation/create",
                "{\"message\":\"Which project falcon milestone?\","
                    + "\"requestedSchema\":{\"type\":\"object\",\"properties\":{}}}")
            + serverRequest(
                "\"s3\"",
                "sampling/createMessage",
                "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\","
                    + "\"text\":\"Summarize issue 7\"}}],\"maxTokens\":100}");

    ReadUntilFailure read =
        readUntilFailure(client, mcpRequest("alice", call(1, "get_issue", "{}")));

    assertThat(read.failure()).isNull();
    assertThat(read.text()).doesNotContainIgnoringCase("falcon");
    List<JsonNode> messages = messages(read.text());
    assertThat(messages).hasSize(5); // the progress notification, three requests, the result
    JsonNode sampling = messages.get(1);
    assertThat(sampling.get("id").asText()).isEqualTo("s1");
    assertThat(sampling.get("method").asText()).isEqualTo(AgentCall.BLOCKED_METHOD);
    assertThat(sampling.path("params").path("method").asText()).isEqualTo("sampling/createMessage");
    assertThat(sampling.path("params").path("check").asText()).isEqualTo("deny-words");
    JsonNode elicitation = messages.get(2);
    assertThat(elicitation.get("id").asInt()).isEqualTo(2);
    assertThat(elicitation.get("method").asText()).isEqualTo(AgentCall.BLOCKED_METHOD);
    assertThat(messages.get(3).get("method").asText()).isEqualTo("sampling/createMessage");
    assertThat(messages.get(3).toString()).contains("Summarize issue 7");
    assertThat(messages.get(4).path("result").isObject()).isTrue();
    GatewayEvent blockedSampling = events.next();
    assertThat(blockedSampling.tool().method()).isEqualTo("sampling/createMessage");
    assertThat(blockedSampling.tool().rpcId()).isEqualTo("\"s1\"");
    assertThat(blockedSampling.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(blockedSampling.safety().outcome())
        .isEqualTo(dev.aigateway.api.SafetyOutcome.ANSWER_BLOCKED);
    assertThat(blockedSampling.limits().counterKeys()).isEmpty();
    GatewayEvent blockedElicitation = events.next();
    assertThat(blockedElicitation.tool().method()).isEqualTo("elicitation/create");
    assertThat(blockedElicitation.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    GatewayEvent passedSampling = events.next();
    assertThat(passedSampling.tool().rpcId()).isEqualTo("\"s3\"");
    assertThat(passedSampling.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    GatewayEvent call = events.next();
    assertThat(call.tool().tool()).isEqualTo("get_issue");
    assertThat(call.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(events.none()).isTrue();

    // The client's LLM answers the sampling request that passed with data the checks stop: the
    // server gets the gateway's error for its request in the answer's place.
    Request answer =
        rpc(
                server.url("/mcp"),
                "alice",
                "{\"jsonrpc\":\"2.0\",\"id\":\"s3\",\"result\":{\"role\":\"assistant\","
                    + "\"content\":{\"type\":\"text\",\"text\":\"Project Falcon ships in May\"},"
                    + "\"model\":\"m\"}}")
            .header("Accept", "application/json, text/event-stream")
            .header("Mcp-Session-Id", "session-1")
            .build();
    try (Response response = client.newCall(answer).execute()) {
      assertThat(response.code()).isEqualTo(202);
    }
    JsonNode delivered = JSON.readTree(backend.answeredBody);
    assertThat(backend.answeredBody).doesNotContainIgnoringCase("falcon");
    assertThat(delivered.get("id").asText()).isEqualTo("s3");
    assertThat(delivered.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    GatewayEvent blockedAnswer = events.next();
    assertThat(blockedAnswer.tool().rpcId()).isEqualTo("\"s3\"");
    assertThat(blockedAnswer.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(blockedAnswer.safety().outcome()).isEqualTo(dev.aigateway.api.SafetyOutcome.BLOCKED);
    assertThat(blockedAnswer.status()).isEqualTo(202);

    // The client's "method not found" for a renamed request passes, and is reported as what it is.
    String notFound =
        "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"error\":{\"code\":-32601,"
            + "\"message\":\"Method not found: ai-gateway/blocked\"}}";
    try (Response response =
        client
            .newCall(
                rpc(server.url("/mcp"), "alice", notFound)
                    .header("Mcp-Session-Id", "session-1")
                    .build())
            .execute()) {
      assertThat(response.code()).isEqualTo(202);
    }
    assertThat(backend.answeredBody).isEqualTo(notFound);
    GatewayEvent error = events.next();
    assertThat(error.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.ERROR);
    assertThat(error.tool().errorCode()).isEqualTo(-32601);
    assertThat(events.none()).isTrue();
  }

  /** The GET an MCP client sends to resume a broken stream (or, without the id, to listen). */
  private Request resume(String consumer, @Nullable String lastEventId) {
    Request.Builder get =
        new Request.Builder()
            .url(server.url("/mcp"))
            .header("x-consumer-id", consumer)
            .header("Accept", "text/event-stream")
            .header("Mcp-Session-Id", "session-1")
            .header("MCP-Protocol-Version", "2025-06-18");
    if (lastEventId != null) {
      get.header("Last-Event-ID", lastEventId);
    }
    return get.build();
  }

  @Test
  void aStreamResumedWithLastEventIdIsFilteredAndCheckedAsAPostsAnswerIs() throws Exception {
    // An MCP client whose POST stream broke resumes it with a GET carrying Mcp-Session-Id and
    // Last-Event-ID; the server replays the stream's messages there: a tools/list result and a
    // tools/call result. They reach the client as the POST's answer would have: the list
    // filtered for the consumer, the result checked, each response in an event of its own.
    OkHttpClient client =
        client(
            github()
                .contentChecks(
                    ContentSafety.builder()
                        .pii(
                            dev.aigateway.core.safety.PiiDetector.cardNumber(),
                            dev.aigateway.core.safety.SafetyAction.BLOCK)));
    String list = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":" + TOOLS + "}}";
    String card =
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\","
            + "\"text\":\"card 4111 1111 1111 1111\"}]}}";
    backend.listen =
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "text/event-stream")
            .body(
                "id: ev2\nevent: message\ndata: "
                    + list
                    + "\n\n"
                    + NOTIFICATION_EVENT
                    + "id: ev3\nevent: message\ndata: "
                    + card
                    + "\n\n")
            .build();

    ReadUntilFailure read = readUntilFailure(client, resume("alice", "ev1"));

    assertThat(read.failure()).isNull();
    assertThat(backend.listened.getHeaders().get("Last-Event-ID")).isEqualTo("ev1");
    List<String> data = new ArrayList<>();
    for (String line : read.text().split("\n")) {
      if (line.startsWith("data: ")) {
        data.add(line.substring(6));
      }
    }
    assertThat(data).hasSize(3);
    assertThat(toolNames(data.get(0))).containsExactly("get_issue", "list_issues");
    assertThat(data.get(1)).contains("notifications/progress");
    JsonNode blocked = JSON.readTree(data.get(2));
    assertThat(blocked.get("id").asInt()).isEqualTo(2);
    assertThat(blocked.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(read.text()).doesNotContain("4111").doesNotContain("delete_repo");
    GatewayEvent listed = events.next();
    assertThat(listed.operation()).isEqualTo(Operation.EXECUTE_TOOL);
    assertThat(listed.consumer()).isEqualTo("alice");
    assertThat(listed.tool().rpcId()).isEqualTo("1");
    assertThat(listed.tool().sessionId()).isEqualTo("session-1");
    assertThat(listed.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    GatewayEvent checked = events.next();
    assertThat(checked.tool().rpcId()).isEqualTo("2");
    assertThat(checked.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(checked.safety().outcome())
        .isEqualTo(dev.aigateway.api.SafetyOutcome.ANSWER_BLOCKED);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aCheckThatFailsOnAClientsAnswerEndsItInOneEventAndSendsNothing() throws Exception {
    // A POST holding only the client's answer to a server request, whose check overflows the
    // stack (an application's pattern recursing on a long run): an IOException, one event for
    // the answer, nothing sent.
    OkHttpClient client =
        client(
            github()
                .contentChecks(
                    ContentSafety.builder()
                        .denyPattern(
                            "repeats",
                            java.util.regex.Pattern.compile("(a|b)*z"),
                            dev.aigateway.core.safety.SafetyAction.BLOCK)));
    Request answer =
        rpc(
                server.url("/mcp"),
                "alice",
                "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"result\":{\"text\":\""
                    + "a".repeat(200_000)
                    + "\"}}")
            .header("Mcp-Session-Id", "session-1")
            .build();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.newCall(answer).execute())
        .isInstanceOf(IOException.class)
        .hasRootCauseInstanceOf(StackOverflowError.class);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo(StackOverflowError.class.getName());
    assertThat(event.tool().rpcId()).isEqualTo("\"s1\"");
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
    assertThat(events.none()).isTrue();
    assertThat(backend.answeredBody).isNull();
  }

  @Test
  void aServerRequestInAnEventTooLargeToReadIsNotPassedUnchecked() throws Exception {
    // A server request padded beyond the 4 MiB the gateway reads of an event: with checks for
    // server requests (here only delete_repo's, so the get_issue call's own result is not checked;
    // then the server's, the request coming after the result), it cannot pass unread.
    backend.sse = true;
    String big =
        serverRequest(
            "\"s1\"",
            "sampling/createMessage",
            "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\","
                + "\"text\":\"Summarize project falcon "
                + "x".repeat(5 << 20)
                + "\"}}],\"maxTokens\":100}");
    backend.before = big;
    OkHttpClient toolChecked =
        client(
            github()
                .tool(
                    "delete_repo",
                    ToolPolicy.builder()
                        .contentChecks(ContentSafety.builder().denyWords("project falcon"))));

    ReadUntilFailure before =
        readUntilFailure(toolChecked, mcpRequest("alice", call(1, "get_issue", "{}")));

    assertThat(before.failure()).isNotNull();
    assertThat(before.failure().getMessage()).contains("github").contains("too large");
    assertThat(before.text()).doesNotContain("project falcon");
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.TRANSPORT_ERROR);
    assertThat(events.none()).isTrue();

    backend.before = "";
    backend.trailing = "\n\n" + big.substring(0, big.length() - 2); // after the result's event
    ReadUntilFailure after =
        readUntilFailure(checkingForFalcon(), mcpRequest("alice", call(2, "get_issue", "{}")));

    assertThat(after.failure()).isNotNull();
    assertThat(after.text()).contains("issue 7 is open").doesNotContain("project falcon");
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aServerRequestInTheAnswerToANotificationIsCheckedToo() throws Exception {
    // A server answers the client's notifications/initialized with an event stream (it should
    // answer 202) carrying a sampling request: MCP clients read such an answer's messages, so the
    // request is checked as on any other stream.
    OkHttpClient client = checkingForFalcon();
    backend.notified =
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "text/event-stream")
            .body(
                serverRequest(
                    "\"s1\"",
                    "sampling/createMessage",
                    "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\","
                        + "\"text\":\"Summarize project falcon\"}}],\"maxTokens\":100}"))
            .build();

    ReadUntilFailure read =
        readUntilFailure(
            client,
            mcpRequest("alice", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));

    assertThat(read.failure()).isNull();
    assertThat(read.text()).doesNotContain("project falcon");
    assertThat(messages(read.text()).get(0).get("method").asText())
        .isEqualTo(AgentCall.BLOCKED_METHOD);
    GatewayEvent event = events.next();
    assertThat(event.tool().method()).isEqualTo("sampling/createMessage");
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aNotificationTheClientSendsIsCheckedAndOneThatIsBlockedIsNotSent() throws Exception {
    // A notification carries data as a request does (a cancellation's reason, a progress
    // message): under the server's content checks, one they stop does not leave. Like a refused
    // request it is answered locally (id null, as it has none), with one event; its batch is not
    // sent. A notification the checks pass goes as it is and makes no event.
    OkHttpClient client = checkingForFalcon();
    String cancelled =
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
            + "\"params\":{\"requestId\":1,\"reason\":\"Project Falcon is secret\"}}";

    JsonNode refused = JSON.readTree(post(client, "alice", cancelled));

    assertThat(backend.calls.get()).isZero();
    assertThat(refused.get("id").isNull()).isTrue();
    assertThat(refused.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(refused.path("error").path("data").path("method").asText())
        .isEqualTo("notifications/cancelled");
    GatewayEvent blocked = events.next();
    assertThat(blocked.tool().method()).isEqualTo("notifications/cancelled");
    assertThat(blocked.tool().rpcId()).isEqualTo("null");
    assertThat(blocked.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(blocked.safety().outcome()).isEqualTo(dev.aigateway.api.SafetyOutcome.BLOCKED);
    assertThat(blocked.limits().counterKeys()).isEmpty();
    assertThat(events.none()).isTrue();

    JsonNode batch =
        JSON.readTree(post(client, "alice", batch(call(2, "get_issue", "{}"), cancelled)));

    assertThat(backend.calls.get()).isZero();
    assertThat(batch.get(0).path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.NOT_SENT_CODE);
    assertThat(batch.get(1).path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(events.none()).isTrue();

    try (Response response =
        client
            .newCall(
                mcpRequest(
                    "alice",
                    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                        + "\"params\":{\"requestId\":1,\"reason\":\"took too long\"}}"))
            .execute()) {
      assertThat(response.code()).isEqualTo(202);
    }
    assertThat(backend.calls.get()).isEqualTo(1);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aNotificationTheServerSendsIsCheckedAndOneThatIsBlockedIsRenamed() throws Exception {
    // A server's log message (notifications/message) or progress message carries data to the
    // client as a result does. One the checks stop reaches the client as a notification of the
    // method no client handles, naming what was blocked, with one event; the others pass as they
    // are and make none. So on the listen stream.
    OkHttpClient client = checkingForFalcon();
    String log =
        "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
            + "\"params\":{\"level\":\"info\",\"data\":{\"note\":\"Project Falcon ships\"}}}\n\n";
    String progress =
        "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
            + "\"params\":{\"progressToken\":\"t\",\"progress\":2,\"message\":\"halfway\"}}\n\n";
    backend.sse = true;
    backend.before = log + progress;

    ReadUntilFailure read =
        readUntilFailure(client, mcpRequest("alice", call(1, "get_issue", "{}")));

    assertThat(read.failure()).isNull();
    assertThat(read.text()).doesNotContainIgnoringCase("falcon");
    List<JsonNode> messages = messages(read.text());
    assertThat(messages).hasSize(4); // the first progress notification, the two, the result
    JsonNode renamed = messages.get(1);
    assertThat(renamed.has("id")).isFalse();
    assertThat(renamed.get("method").asText()).isEqualTo(AgentCall.BLOCKED_METHOD);
    assertThat(renamed.path("params").path("method").asText()).isEqualTo("notifications/message");
    assertThat(renamed.path("params").path("check").asText()).isEqualTo("deny-words");
    assertThat(messages.get(2).path("params").path("message").asText()).isEqualTo("halfway");
    assertThat(messages.get(3).path("result").isObject()).isTrue();
    GatewayEvent blocked = events.next();
    assertThat(blocked.tool().method()).isEqualTo("notifications/message");
    assertThat(blocked.tool().rpcId()).isEqualTo("null");
    assertThat(blocked.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(blocked.safety().outcome())
        .isEqualTo(dev.aigateway.api.SafetyOutcome.ANSWER_BLOCKED);
    assertThat(blocked.limits().counterKeys()).isEmpty();
    assertThat(events.next().tool().tool()).isEqualTo("get_issue");
    assertThat(events.none()).isTrue();

    backend.listen =
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "text/event-stream")
            .body(progress + log)
            .build();
    ReadUntilFailure listened = readUntilFailure(client, resume("alice", null));

    assertThat(listened.failure()).isNull();
    assertThat(listened.text()).contains("halfway").doesNotContainIgnoringCase("falcon");
    assertThat(messages(listened.text()).get(1).get("method").asText())
        .isEqualTo(AgentCall.BLOCKED_METHOD);
    assertThat(events.next().tool().method()).isEqualTo("notifications/message");
    assertThat(events.none()).isTrue();
  }

  @Test
  void eventsOfMessagesOnAGetStreamNameWhatTheyAre() throws Exception {
    // A tools/call whose event stream breaks before its result ends NO_RESPONSE; the client
    // resumes with Last-Event-ID and the server replays the result on the GET stream, with a
    // sampling request of its own. The replayed response's event names the call it answers
    // (tools/call, get_issue), the server request's its method, and the client's later answer
    // to that request the method it answers; a response whose request the gateway never saw
    // unanswered names none.
    OkHttpClient client = checkingForFalcon();
    backend.sse = true;
    backend.cut = true;
    try (Response response =
        client
            .newCall(
                mcpRequest("alice", call(4, "get_issue", "{}"))
                    .newBuilder()
                    .header("Mcp-Session-Id", "session-1")
                    .build())
            .execute()) {
      response.body().string();
    }
    GatewayEvent broken = events.next();
    assertThat(broken.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NO_RESPONSE);
    backend.listen =
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "text/event-stream")
            .body(
                "id: ev2\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":4,\"result\":"
                    + backend.result
                    + "}\n\n"
                    + "id: ev3\n"
                    + serverRequest(
                        "\"s9\"",
                        "sampling/createMessage",
                        "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\","
                            + "\"text\":\"Summarize issue 7\"}}],\"maxTokens\":100}")
                    + "id: ev4\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":77,\"result\":{}}\n\n")
            .build();

    ReadUntilFailure read = readUntilFailure(client, resume("alice", "ev1"));

    assertThat(read.failure()).isNull();
    assertThat(messages(read.text())).hasSize(3);
    GatewayEvent replayed = events.next();
    assertThat(replayed.tool().rpcId()).isEqualTo("4");
    assertThat(replayed.tool().method()).isEqualTo("tools/call");
    assertThat(replayed.tool().tool()).isEqualTo("get_issue");
    assertThat(replayed.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    GatewayEvent sampling = events.next();
    assertThat(sampling.tool().method()).isEqualTo("sampling/createMessage");
    assertThat(sampling.tool().rpcId()).isEqualTo("\"s9\"");
    GatewayEvent unknown = events.next();
    assertThat(unknown.tool().rpcId()).isEqualTo("77");
    assertThat(unknown.tool().method()).isEmpty();
    assertThat(events.none()).isTrue();

    try (Response response =
        client
            .newCall(
                rpc(
                        server.url("/mcp"),
                        "alice",
                        "{\"jsonrpc\":\"2.0\",\"id\":\"s9\",\"result\":{\"role\":\"assistant\","
                            + "\"content\":{\"type\":\"text\",\"text\":\"Issue 7 is open\"},"
                            + "\"model\":\"m\"}}")
                    .header("Mcp-Session-Id", "session-1")
                    .build())
            .execute()) {
      assertThat(response.code()).isEqualTo(202);
    }
    GatewayEvent answered = events.next();
    assertThat(answered.tool().method()).isEqualTo("sampling/createMessage");
    assertThat(answered.tool().rpcId()).isEqualTo("\"s9\"");
    assertThat(answered.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(events.none()).isTrue();
  }

  @Test
  void theListenStreamPassesEachEventAsItArrivesAndChecksTheResponsesOnIt() throws Exception {
    // The plain GET listen stream (no Last-Event-ID) is read the same way, event by event: an
    // event reaches the application while the server still holds the stream open, and a result
    // on it is checked when it comes.
    assumeTrue(okhttp3.OkHttp.VERSION.startsWith("5."), "needs OkHttp 5's MockResponseBody");
    OkHttpClient client = checkingForFalcon();
    String first =
        "id: a1\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":\"s1\","
            + "\"method\":\"roots/list\"}\n\n";
    String second =
        "id: a2\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":9,"
            + "\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"Project Falcon\"}]}}\n\n";
    CountDownLatch firstRead = new CountDownLatch(1);
    backend.listen =
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "text/event-stream")
            .body(
                new mockwebserver3.MockResponseBody() {
                  @Override
                  public long getContentLength() {
                    return (first + second).getBytes(StandardCharsets.UTF_8).length;
                  }

                  @Override
                  public void writeTo(okio.BufferedSink sink) throws IOException {
                    sink.writeUtf8(first).flush();
                    try {
                      // the rest only once the app has read the first event (or after 30 s)
                      firstRead.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                    sink.writeUtf8(second).flush();
                  }
                })
            .build();

    try (Response response = client.newCall(resume("alice", null)).execute()) {
      java.io.InputStream body = response.body().byteStream();
      long began = System.nanoTime();
      byte[] head = new byte[first.length()];
      for (int read = 0; read < head.length; ) {
        int n = body.read(head, read, head.length - read); // never asks for 0 bytes (would block)
        assertThat(n).isPositive();
        read += n;
      }
      long waitedMillis = (System.nanoTime() - began) / 1_000_000;
      firstRead.countDown();
      assertThat(new String(head, StandardCharsets.UTF_8)).isEqualTo(first);
      // the server sent nothing more until this read: a stream held whole would have come only
      // after its 30 s
      assertThat(waitedMillis).isLessThan(20_000);
      String rest = new String(body.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(rest).doesNotContain("Project Falcon").contains("\"id\":9");
      assertThat(rest).contains(String.valueOf(AgentGovernance.CONTENT_BLOCKED_CODE));
    }
    GatewayEvent roots = events.next(); // the server's request, checked as it passed
    assertThat(roots.tool().method()).isEqualTo("roots/list");
    assertThat(roots.tool().rpcId()).isEqualTo("\"s1\"");
    assertThat(roots.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    GatewayEvent event = events.next();
    assertThat(event.tool().rpcId()).isEqualTo("9");
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aResultFollowedByMoreTextIsNotPassedUncheckedInAStreamOrAsJson() throws Exception {
    // A JSON reader that takes the first value and ignores the rest (Jackson's default, which the
    // MCP Java SDK's client reads its messages with) reads the result out of an answer whose JSON
    // value is followed by more text; the gateway cannot read that answer whole, so a result it
    // is to check is not passed on unchecked: the answer fails, as for one too large to read.
    OkHttpClient client = checkingForFalcon();
    backend.result = "{\"content\":[{\"type\":\"text\",\"text\":\"see Project Falcon\"}]}";
    backend.trailing = " }";
    assertThat(
            JSON.readTree("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":" + backend.result + "} }")
                .path("result")
                .path("content")
                .path(0)
                .path("text")
                .asText())
        .isEqualTo("see Project Falcon");

    for (boolean sse : new boolean[] {true, false}) {
      backend.sse = sse;
      Request request = mcpRequest("alice", call(1, "get_issue", "{}"));
      ReadUntilFailure read = readUntilFailure(client, request);

      assertThat(read.text()).as("sse " + sse).doesNotContain("Falcon");
      assertThat(read.failure()).as("sse " + sse).isNotNull();
      assertThat(read.failure().getMessage()).contains("github");
      GatewayEvent event = events.next();
      assertThat(event.tool().outcome()).as("sse " + sse).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
      assertThat(event.rejection()).isEqualTo(RejectionReason.CONTENT_CHECK_UNAVAILABLE);
      assertThat(events.none()).isTrue();
    }
  }

  @Test
  void aCheckThatFailsWhileAdmittingReachesTheApplicationAsAnIOExceptionWithOneEvent()
      throws Exception {
    // An application's deny pattern that recurses on every repeated character overflows the stack
    // on long arguments, inside the argument check: the call fails as an LLM call would, with an
    // IOException whose cause is the failure, one FAILED event, nothing sent and nothing held.
    OkHttpClient client =
        client(
            github()
                .maxInFlight(1)
                .contentChecks(
                    ContentSafety.builder()
                        .denyPattern(
                            "repeats",
                            // "z": in none of the member names (content, type, text) read
                            java.util.regex.Pattern.compile("(a|b)*z"),
                            dev.aigateway.core.safety.SafetyAction.BLOCK)));
    Request request =
        rpc(
                server.url("/mcp"),
                "alice",
                call(3, "get_issue", "{\"q\":\"" + "a".repeat(200_000) + "\"}"))
            .build();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.newCall(request).execute())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("could not be admitted")
        .hasMessageContaining("github")
        .hasRootCauseInstanceOf(StackOverflowError.class);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo(StackOverflowError.class.getName());
    assertThat(event.rejection()).isNull();
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
    assertThat(event.tool().tool()).isEqualTo("get_issue");
    assertThat(event.tool().rpcId()).isEqualTo("3");
    assertThat(events.none()).isTrue();
    assertThat(backend.calls.get()).isZero();
    // The in-flight slot is free: the next call goes through.
    post(client, "alice", call(4, "get_issue", "{}"));
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
  }

  @Test
  void aResultCheckThatFailsEndsTheAnswerWithAnIOExceptionAndOneEvent() throws Exception {
    // The same pattern on a long result, as JSON and as an event stream: the result is not passed
    // unchecked, the application's read throws an IOException (not the check's error), the call
    // ends in one event naming the failure, and its in-flight slot is freed.
    OkHttpClient client =
        client(
            github()
                .maxInFlight(1)
                .contentChecks(
                    ContentSafety.builder()
                        .denyPattern(
                            "repeats",
                            // "z": in none of the member names (content, type, text) read
                            java.util.regex.Pattern.compile("(a|b)*z"),
                            dev.aigateway.core.safety.SafetyAction.BLOCK)));
    String ok = backend.result;
    for (boolean sse : new boolean[] {false, true}) {
      backend.sse = sse;
      backend.result =
          "{\"content\":[{\"type\":\"text\",\"text\":\"" + "a".repeat(200_000) + "\"}]}";
      Request request = mcpRequest("alice", call(5, "get_issue", "{}"));

      try (Response response = client.newCall(request).execute()) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> response.body().string())
            .as("sse " + sse)
            .isInstanceOf(IOException.class)
            .hasMessageContaining("github")
            .hasRootCauseInstanceOf(StackOverflowError.class);
      }

      GatewayEvent event = events.next();
      assertThat(event.outcome()).as("sse " + sse).isEqualTo(CallOutcome.TRUNCATED);
      assertThat(event.errorType()).isEqualTo(StackOverflowError.class.getName());
      assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.TRANSPORT_ERROR);
      assertThat(events.none()).isTrue();
      backend.result = ok;
      post(client, "alice", call(6, "get_issue", "{}"));
      assertThat(events.next().tool().outcome())
          .as("sse " + sse)
          .isEqualTo(ToolCallInfo.Outcome.OK);
    }
  }

  @Test
  void argumentsGivenAlsoInAnotherCaseAreCheckedToo() throws Exception {
    // Go's JSON decoder takes the last of "arguments" and "Arguments": both are what a server may
    // run the tool with, so both are checked.
    OkHttpClient client = checkingForFalcon();
    String body =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"get_issue\","
            + "\"arguments\":{\"q\":\"the weather\"},\"Arguments\":{\"q\":\"about Project Falcon\"}}}";

    JsonNode answer = JSON.readTree(post(client, "alice", body));

    assertThat(answer.path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(backend.calls.get()).isZero();
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
  }

  @Test
  void aResultInAnEventTooLargeToReadIsNotPassedUncheckedWhenResultsAreChecked() throws Exception {
    backend.sse = true;
    String padding = "x".repeat(5 << 20);
    backend.result =
        "{\"content\":[{\"type\":\"text\",\"text\":\"see project falcon " + padding + "\"}]}";

    // Without checks the event passes as it came, unread.
    String passed = post(client(github()), "alice", call(1, "get_issue", "{}"));
    assertThat(passed).contains("project falcon");
    events.next(); // its response was not read: NO_RESPONSE

    // With checks on results it cannot pass unchecked: the answer fails with an IOException after
    // the events before it, and the request ends BLOCKED (its result could not be checked).
    OkHttpClient checked = checkingForFalcon();
    Request request = mcpRequest("alice", call(2, "get_issue", "{}"));
    ReadUntilFailure read = readUntilFailure(checked, request);
    assertThat(read.failure()).isNotNull();
    assertThat(read.failure().getMessage()).contains("github").contains("too large to be checked");
    assertThat(read.text()).doesNotContain("project falcon");
    assertThat(read.text()).contains("notifications/progress");
    GatewayEvent event = events.next();
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(event.rejection()).isEqualTo(RejectionReason.CONTENT_CHECK_UNAVAILABLE);
    assertThat(event.tool().errorCode()).isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    Thread.sleep(200);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aJsonAnswerTooLargeToHoldIsNotPassedUncheckedWhenResultsAreChecked() throws Exception {
    backend.result =
        "{\"content\":[{\"type\":\"text\",\"text\":\"see project falcon "
            + "x".repeat(17 << 20)
            + "\"}]}";
    OkHttpClient checked = checkingForFalcon();
    Request request = mcpRequest("alice", call(2, "get_issue", "{}"));
    ReadUntilFailure read = readUntilFailure(checked, request);
    assertThat(read.failure()).isNotNull();
    assertThat(read.failure().getMessage()).contains("github").contains("too large to be checked");
    assertThat(read.text()).doesNotContain("project falcon");
    GatewayEvent event = events.next();
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(event.rejection()).isEqualTo(RejectionReason.CONTENT_CHECK_UNAVAILABLE);
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    Thread.sleep(200);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aServersJsonRpcErrorIsReportedWithItsCode() throws Exception {
    OkHttpClient client = client(github());

    String answer = post(client, "bob", call(3, "missing", "{}"));

    assertThat(answer).contains("-32602");
    ToolCallInfo tool = events.next().tool();
    assertThat(tool.outcome()).isEqualTo(ToolCallInfo.Outcome.ERROR);
    assertThat(tool.errorCode()).isEqualTo(-32602);
  }

  @Test
  void aBatchWithARefusedMemberIsAnsweredWhollyLocallyWithOneEventPerMember() throws Exception {
    OkHttpClient client = client(github());

    JsonNode answer =
        JSON.readTree(
            post(client, "alice", batch(call(1, "get_issue", "{}"), call(2, "delete_repo", "{}"))));

    assertThat(answer.isArray()).isTrue();
    assertThat(answer.get(0).path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.NOT_SENT_CODE);
    assertThat(answer.get(1).path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    assertThat(backend.calls.get()).isZero();
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
  }

  @Test
  void aRefusedBatchStillSendsTheClientsAnswersAndNotificationsItCarries() throws Exception {
    // The client answers two sampling requests of the server and cancels a request in the same
    // batch as a tools/call the gateway refuses. Nothing of the server's answer is needed for
    // answers and notifications, and the server waits for them (its requests would hang, and the
    // call they came in with): they are sent on their own, checked as ever (the answer carrying
    // what the checks stop goes as the gateway's error), while the application gets the refusal.
    OkHttpClient client = checkingForFalcon();
    String clean = "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"result\":{\"text\":\"issue 7\"}}";
    String secret = "{\"jsonrpc\":\"2.0\",\"id\":\"s2\",\"result\":{\"text\":\"Project Falcon\"}}";
    String cancel =
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":9}}";

    JsonNode answer =
        JSON.readTree(
            post(client, "alice", batch(clean, call(1, "delete_repo", "{}"), secret, cancel)));

    assertThat(answer).hasSize(1);
    assertThat(answer.get(0).path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    assertThat(backend.calls.get()).isEqualTo(1);
    JsonNode delivered = JSON.readTree(backend.answeredBody);
    assertThat(delivered).hasSize(3);
    assertThat(delivered.get(0)).isEqualTo(JSON.readTree(clean));
    assertThat(delivered.get(1).get("id").asText()).isEqualTo("s2");
    assertThat(delivered.get(1).path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(delivered.get(2)).isEqualTo(JSON.readTree(cancel));
    assertThat(backend.answeredBody).doesNotContainIgnoringCase("falcon");
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
    GatewayEvent passed = events.next();
    assertThat(passed.tool().rpcId()).isEqualTo("\"s1\"");
    assertThat(passed.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(passed.status()).isEqualTo(202);
    GatewayEvent blocked = events.next();
    assertThat(blocked.tool().rpcId()).isEqualTo("\"s2\"");
    assertThat(blocked.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
    assertThat(events.none()).isTrue();

    // Without checks the answers go as they are, with no event of their own.
    JsonNode alone =
        JSON.readTree(post(client(github()), "alice", batch(call(2, "delete_repo", "{}"), secret)));

    assertThat(alone.get(0).path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    assertThat(backend.calls.get()).isEqualTo(2);
    assertThat(JSON.readTree(backend.answeredBody)).isEqualTo(JSON.readTree(secret));
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aRequestTheClientCancelledEndsCancelledWhenItsStreamEndsWithoutItsResponse()
      throws Exception {
    // The client cancels a slow tools/call (notifications/cancelled, in the same session); the
    // server stops and, as MCP has it, sends no response: the call's stream ends without one. The
    // call was cancelled, not left unanswered, and its event says so.
    OkHttpClient client = client(github());
    backend.sse = true;
    backend.cut = true; // the stream ends without the response
    backend.gate = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<ReadUntilFailure> slow =
          pool.submit(
              () ->
                  readUntilFailure(
                      client,
                      mcpRequest("alice", call(7, "get_issue", "{}"))
                          .newBuilder()
                          .header("Mcp-Session-Id", "session-1")
                          .build()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (backend.calls.get() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(backend.calls.get()).isEqualTo(1); // admitted and sent, held by the server
      try (Response cancelled =
          client
              .newCall(
                  mcpRequest(
                          "alice",
                          "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                              + "\"params\":{\"requestId\":7.0,\"reason\":\"user stopped it\"}}")
                      .newBuilder()
                      .header("Mcp-Session-Id", "session-1")
                      .build())
              .execute()) {
        assertThat(cancelled.code()).isEqualTo(202);
      }
      backend.gate.countDown();

      assertThat(slow.get(10, TimeUnit.SECONDS).failure()).isNull();
    } finally {
      pool.shutdownNow();
    }
    GatewayEvent event = events.next();
    assertThat(event.tool().rpcId()).isEqualTo("7");
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.CANCELLED);
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(events.none()).isTrue();

    // A call nobody cancelled whose stream ends so still ends NO_RESPONSE.
    backend.gate = new CountDownLatch(0);
    readUntilFailure(
        client,
        mcpRequest("alice", call(8, "get_issue", "{}"))
            .newBuilder()
            .header("Mcp-Session-Id", "session-1")
            .build());
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NO_RESPONSE);
  }

  @Test
  void aBatchWithAMemberThatIsNotJsonRpcIsStillCheckedRequestByRequest() throws Exception {
    OkHttpClient client = client(github());

    // JSON-RPC 2.0: a server answers each invalid member of a batch with an error and still runs
    // the valid ones, so the valid ones must be governed.
    for (String junk : List.of("1", "[]", "{\"jsonrpc\":\"1.0\"}")) {
      JsonNode answer =
          JSON.readTree(post(client, "alice", batch(call(2, "delete_repo", "{}"), junk)));

      assertThat(answer.isArray()).as(junk).isTrue();
      assertThat(answer.get(0).path("id").asInt()).isEqualTo(2);
      assertThat(answer.get(0).path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
      assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
    }
    assertThat(backend.calls.get()).isZero();
    assertThat(events.none()).isTrue();
  }

  @Test
  void aBatchMemberWithoutJsonrpcIsGovernedAsTheRequestAServerRunsItAs() throws Exception {
    OkHttpClient client = client(github());

    JsonNode answer =
        JSON.readTree(
            post(
                client,
                "alice",
                "["
                    + call(2, "get_issue", "{}")
                    + ",{\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"delete_repo\"}}]"));

    assertThat(answer.get(0).path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.NOT_SENT_CODE);
    assertThat(answer.get(1).path("id").asInt()).isEqualTo(3);
    assertThat(answer.get(1).path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    assertThat(backend.calls.get()).isZero();
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
  }

  @Test
  void anAllowedBatchIsSentWholeAndEachMemberEndsInItsOwnEvent() throws Exception {
    OkHttpClient client = client(github());

    JsonNode answer =
        JSON.readTree(
            post(client, "bob", batch(call(1, "get_issue", "{}"), call(2, "delete_repo", "{}"))));

    assertThat(answer.size()).isEqualTo(2);
    assertThat(backend.calls.get()).isEqualTo(1);
    List<String> tools = List.of(events.next().tool().tool(), events.next().tool().tool());
    assertThat(tools).containsExactlyInAnyOrder("get_issue", "delete_repo");
    assertThat(events.none()).isTrue();
  }

  @Test
  void aBatchWhoseRequestsShareAnIdIsAnsweredLocallyWithOneExactEventPerMember() throws Exception {
    // Answers are told apart by id: with two requests of one id, which answer is whose is not
    // known, so the batch is not sent and every member ends in its own refused event.
    OkHttpClient client = client(github());

    JsonNode answer =
        JSON.readTree(
            post(
                client,
                "bob",
                batch(
                    call(1, "get_issue", "{}"),
                    call(1, "list_issues", "{}"),
                    call(2, "get_issue", "{}"))));

    assertThat(answer.size()).isEqualTo(3);
    assertThat(answer.get(0).path("id").asInt()).isEqualTo(1);
    assertThat(answer.get(0).path("error").path("code").asInt()).isEqualTo(-32600);
    assertThat(answer.get(0).path("error").path("message").asText()).contains("id");
    assertThat(answer.get(1).path("id").asInt()).isEqualTo(1);
    assertThat(answer.get(1).path("error").path("code").asInt()).isEqualTo(-32600);
    assertThat(answer.get(2).path("error").path("code").asInt())
        .isEqualTo(AgentGovernance.NOT_SENT_CODE);
    assertThat(backend.calls.get()).isZero();
    for (int i = 0; i < 3; i++) {
      GatewayEvent event = events.next();
      assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
      assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
    }
    assertThat(events.none()).isTrue();
  }

  @Test
  void aBatchRefusedForSharedIdsIsReportedForItsConsumer() throws Exception {
    // The events of a batch not sent because two requests share an id name the consumer that
    // sent it, as every other refusal's events do, not the anonymous one.
    OkHttpClient client = client(github());

    post(client, "bob", batch(call(1, "get_issue", "{}"), call(1, "list_issues", "{}")));

    for (int i = 0; i < 2; i++) {
      GatewayEvent event = events.next();
      assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
      assertThat(event.consumer()).isEqualTo("bob");
    }
    assertThat(events.none()).isTrue();
    assertThat(backend.calls.get()).isZero();
  }

  @Test
  void anAnswerReadByAJsonParserThatStopsAtItsEndEndsOk() throws Exception {
    // A JSON parser reads the answer's value and closes the body without asking for more: the
    // answer was read whole, so its request ends OK with its sizes, not cancelled.
    OkHttpClient client = client(github());
    for (String body : List.of(call(1, "get_issue", "{}"), LIST)) {
      Request request = rpc(server.url("/mcp"), "alice", body).build();
      JsonNode answer;
      try (Response response = client.newCall(request).execute()) {
        answer = JSON.readTree(response.body().byteStream());
      }
      assertThat(answer.has("result")).as(body).isTrue();
      GatewayEvent event = events.next();
      assertThat(event.tool().outcome()).as(body).isEqualTo(ToolCallInfo.Outcome.OK);
      assertThat(event.tool().resultBytes()).as(body).isPositive();
    }
    // Closed before the answer's end arrived: cancelled, as before.
    backend.result =
        "{\"content\":[{\"type\":\"text\",\"text\":\"" + "x".repeat(512 * 1024) + "\"}]}";
    Request request = rpc(server.url("/mcp"), "alice", call(2, "get_issue", "{}")).build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.body().byteStream().read(new byte[10])).isPositive();
    }
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.CANCELLED);
  }

  @Test
  void aNumericIdIsMatchedToItsAnswerByValue() throws Exception {
    // A server that reads ids as numbers (JavaScript, Go) answers the id 1.0 or 1e0 with 1: the
    // answer is still this request's, so its tools/list is filtered and its event is the answer's.
    OkHttpClient client = client(github());
    backend.idsAsNumbers = true;

    for (String id : List.of("1.0", "1e0", "10E-1")) {
      String answer =
          post(
              client, "alice", "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/list\"}");

      assertThat(JSON.readTree(answer).path("id").toString()).isEqualTo("1");
      assertThat(toolNames(answer)).as(id).containsExactly("get_issue", "list_issues");
      GatewayEvent event = events.next();
      assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(event.tool().method()).isEqualTo("tools/list");
      assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
      assertThat(events.none()).isTrue();
    }
  }

  @Test
  void aBatchWhoseRequestsShareAnIdByValueIsAnsweredLocally() throws Exception {
    // 1 and 1.0 are one id to a server that reads ids as numbers: their answers would both say 1.
    // So are 9007199254740993 and 9007199254740992, beyond a double's exact integers (2^53): a
    // JavaScript server reads both as 9007199254740992 and answers both with that id.
    OkHttpClient client = client(github());
    for (String[] ids : new String[][] {{"1", "1.0"}, {"9007199254740993", "9007199254740992"}}) {
      JsonNode answer =
          JSON.readTree(
              post(
                  client,
                  "bob",
                  batch(
                      call(1, "get_issue", "{}").replace("\"id\":1,", "\"id\":" + ids[0] + ","),
                      call(1, "list_issues", "{}")
                          .replace("\"id\":1,", "\"id\":" + ids[1] + ","))));

      assertThat(answer.size()).isEqualTo(2);
      assertThat(answer.get(0).path("id").toString()).isEqualTo(ids[0]); // as written
      assertThat(answer.get(0).path("error").path("code").asInt()).as(ids[1]).isEqualTo(-32600);
      assertThat(answer.get(0).path("error").path("message").asText()).contains("JavaScript");
      assertThat(answer.get(1).path("error").path("code").asInt()).isEqualTo(-32600);
      assertThat(backend.calls.get()).isZero();
      for (int i = 0; i < 2; i++) {
        assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
      }
      assertThat(events.none()).isTrue();
    }
  }

  @Test
  void anIdAJavaScriptServerWritesBackRoundedIsItsRequests() throws Exception {
    // A JavaScript server reads the id 9007199254740993 as 9007199254740992 and answers with that:
    // the answer is the request's, filtered, not a result that answers no request.
    OkHttpClient client = client(github());
    backend.idAs = "9007199254740992";

    String listed = post(client, "alice", LIST.replace("\"id\":1,", "\"id\":9007199254740993,"));

    assertThat(toolNames(listed)).containsExactly("get_issue", "list_issues");
    GatewayEvent event = events.next();
    assertThat(event.tool().rpcId()).isEqualTo("9007199254740993");
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aStringIdAndANumberIdOfTheSameTextAreTwoIds() throws Exception {
    // JSON-RPC: "1" and 1 are different ids. The batch goes, and each answer is its request's.
    OkHttpClient client = client(github());

    JsonNode answer =
        JSON.readTree(
            post(
                client,
                "alice",
                batch(LIST.replace("\"id\":1,", "\"id\":\"1\","), call(1, "get_issue", "{}"))));

    assertThat(backend.calls.get()).isEqualTo(1);
    assertThat(answer.get(0).path("id").isTextual()).isTrue();
    assertThat(answer.get(0).path("result").path("tools").size()).isEqualTo(2); // filtered
    assertThat(answer.get(1).path("id").isNumber()).isTrue();
    assertThat(answer.get(1).path("result").has("content")).isTrue();
    GatewayEvent list = events.next();
    assertThat(list.tool().method()).isEqualTo("tools/list");
    assertThat(list.tool().rpcId()).isEqualTo("\"1\"");
    assertThat(list.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    GatewayEvent call = events.next();
    assertThat(call.tool().tool()).isEqualTo("get_issue");
    assertThat(call.tool().rpcId()).isEqualTo("1");
    assertThat(call.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(events.none()).isTrue();
  }

  @Test
  void anInFlightCapRefusesTheCallsBeyondIt() throws Exception {
    OkHttpClient client = client(github().maxInFlight(2));
    backend.gate = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<String>> held = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        int id = i;
        held.add(pool.submit(() -> post(client, "alice", call(id, "get_issue", "{}"))));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (backend.active.get() < 2) {
        // a held call that failed before the backend would otherwise leave the test waiting
        assertThat(System.nanoTime()).as("both calls at the backend").isLessThan(deadline);
        Thread.sleep(5);
      }
      JsonNode refused = JSON.readTree(post(client, "alice", call(9, "get_issue", "{}")));
      assertThat(refused.path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.LIMITED_CODE);
      assertThat(refused.path("error").path("data").path("limit").asText())
          .isEqualTo("mcp:github/in-flight");
      backend.gate.countDown();
      for (Future<String> call : held) {
        assertThat(call.get(10, TimeUnit.SECONDS)).contains("\"result\"");
      }
      assertThat(post(client, "alice", call(10, "get_issue", "{}"))).contains("\"result\"");
    } finally {
      backend.gate.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void manyThreadsCallingUnderACapNeverExceedIt() throws Exception {
    OkHttpClient client = client(github().tool("get_issue", ToolPolicy.builder().maxInFlight(3)));
    ExecutorService pool = Executors.newFixedThreadPool(16);
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger limited = new AtomicInteger();
    try {
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < 160; i++) {
        int id = i;
        all.add(
            pool.submit(
                () -> {
                  String answer = post(client, "bob", call(id, "get_issue", "{}"));
                  (answer.contains("\"result\"") ? answered : limited).incrementAndGet();
                  return null;
                }));
      }
      for (Future<?> f : all) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(backend.mostAtOnce.get()).isLessThanOrEqualTo(3);
    assertThat(answered.get() + limited.get()).isEqualTo(160);
    assertThat(backend.calls.get()).isEqualTo(answered.get());
    assertThat(events.all).hasSize(160);
  }

  @Test
  void listenStreamsAndSessionEndsPassThroughWithoutEvents() throws Exception {
    OkHttpClient client = client(github());

    try (Response get =
        client.newCall(new Request.Builder().url(server.url("/mcp")).build()).execute()) {
      assertThat(get.code()).isEqualTo(405);
    }
    try (Response delete =
        client.newCall(new Request.Builder().url(server.url("/mcp")).delete().build()).execute()) {
      assertThat(delete.code()).isEqualTo(200);
    }
    String notification = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    Request notify =
        new Request.Builder()
            .url(server.url("/mcp"))
            .post(RequestBody.create(notification, JSON_TYPE))
            .build();
    try (Response accepted = client.newCall(notify).execute()) {
      assertThat(accepted.code()).isEqualTo(202);
    }

    assertThat(events.all).isEmpty();
  }

  @Test
  void otherSpellingsOfTheServersPathAreGovernedAsIt() throws Exception {
    // Servers decode percent-encoded unreserved characters (RFC 3986 6.2.2.2) and servlet
    // containers drop ;parameters from path segments: these reach the governed endpoint.
    OkHttpClient client = client(github());
    String root = server.url("/").toString();
    for (String path : List.of("%6Dcp", "%6dcp", "mcp;x=1", "mcp;", "m%63p/")) {
      Request request = rpc(root + path, "alice", call(1, "delete_repo", "{}")).build();
      try (Response response = client.newCall(request).execute()) {
        JsonNode answer = JSON.readTree(response.body().string());
        assertThat(answer.path("error").path("code").asInt())
            .as(path)
            .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
      }
      assertThat(events.next().tool().outcome()).as(path).isEqualTo(ToolCallInfo.Outcome.DENIED);
    }
    assertThat(backend.calls.get()).as("calls that reached the server").isZero();
  }

  @Test
  void aServerAtAnIpv6LiteralOrCalledByItsAbsoluteNameIsGoverned() throws Exception {
    // OkHttp gives an IPv6 host without brackets in its canonical form (::1), and keeps the
    // trailing dot of an absolute name (localhost.), which reaches the same server: both are the
    // configured server's host, so calls to them are governed, not passed ungoverned.
    try (MockWebServer v6 = new MockWebServer()) {
      v6.setDispatcher(backend);
      v6.start(java.net.InetAddress.getByName("::1"), 0);
      for (String host : List.of("[::1]", "[0:0:0:0:0:0:0:1]", "[0000::0001]")) {
        OkHttpClient client =
            client(
                McpServer.builder("local", "http://" + host + ":" + v6.getPort() + "/mcp")
                    .access(ToolAccess.denyByDefault().allowConsumer("alice", "get_*")));
        Request request = rpc(v6.url("/mcp"), "alice", call(1, "delete_repo", "{}")).build();
        try (Response response = client.newCall(request).execute()) {
          assertThat(JSON.readTree(response.body().string()).path("error").path("code").asInt())
              .as(host)
              .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
        }
        assertThat(events.next().tool().outcome()).as(host).isEqualTo(ToolCallInfo.Outcome.DENIED);
      }
    }
    // A resolver that knows absolute names, as DNS does.
    okhttp3.Dns absolute =
        name ->
            okhttp3.Dns.SYSTEM.lookup(
                name.endsWith(".") ? name.substring(0, name.length() - 1) : name);
    OkHttpClient dotted =
        OkHttpAiGateway.wrap(
            new OkHttpClient.Builder().dns(absolute).build(),
            AiGateway.builder()
                .clock(clock)
                .consumerKey(KeyResolvers.header("x-consumer-id"))
                .listener(events)
                .mcpServer(github())
                .build());
    okhttp3.HttpUrl url = server.url("/mcp");
    Request request =
        rpc(url.newBuilder().host(url.host() + ".").build(), "alice", call(1, "delete_repo", "{}"))
            .build();
    try (Response response = dotted.newCall(request).execute()) {
      assertThat(JSON.readTree(response.body().string()).path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    }
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
    assertThat(backend.calls.get()).as("calls that reached a server").isZero();
  }

  @Test
  void aServerWhosePathHasNonAsciiCharactersIsGovernedHoweverTheRequestSpellsIt() throws Exception {
    // A URL's path holds non-ASCII characters only percent-encoded as UTF-8 on the wire (OkHttp
    // encodes them so): a server configured with its path written out is the same endpoint.
    OkHttpClient client =
        client(
            McpServer.builder("werkzeug", server.url("/").toString() + "werkzeuge/größe")
                .access(ToolAccess.denyByDefault().allowConsumer("alice", "get_*")));
    String root = server.url("/").toString();
    for (String path :
        List.of("werkzeuge/größe", "werkzeuge/gr%C3%B6%C3%9Fe", "werkzeuge/gr%c3%b6%c3%9fe")) {
      Request request = rpc(root + path, "alice", call(1, "delete_repo", "{}")).build();
      try (Response response = client.newCall(request).execute()) {
        JsonNode answer = JSON.readTree(response.body().string());
        assertThat(answer.path("error").path("code").asInt())
            .as(path)
            .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
      }
      assertThat(events.next().tool().outcome()).as(path).isEqualTo(ToolCallInfo.Outcome.DENIED);
    }
    assertThat(backend.calls.get()).as("calls that reached the server").isZero();
  }

  @Test
  void aPathThatOnlyEncodesAReservedCharacterIsAnotherPath() throws Exception {
    OkHttpClient client = client(github());
    Request request =
        rpc(server.url("/").toString() + "mcp%2Fx", "alice", call(1, "delete_repo", "{}")).build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.body().string()).contains("\"result\"");
    }
    assertThat(events.all).isEmpty();
  }

  @Test
  void callsToOtherUrlsAreNotGoverned() throws Exception {
    OkHttpClient client = client(github());
    Request request = rpc(server.url("/other"), "alice", call(1, "delete_repo", "{}")).build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.body().string()).contains("\"result\"");
    }
    assertThat(events.all).isEmpty();
  }
}
