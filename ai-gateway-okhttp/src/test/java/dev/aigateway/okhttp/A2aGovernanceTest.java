package dev.aigateway.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.Operation;
import dev.aigateway.api.ToolCallInfo;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.access.ToolAccess;
import dev.aigateway.core.agent.A2aAgent;
import dev.aigateway.core.agent.AgentGovernance;
import dev.aigateway.testing.Closing;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.MockWebServer;
import okhttp3.MediaType;
import okhttp3.OkHttp;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A2A calls through a wrapped OkHttp client against a MockWebServer agent that answers in the A2A
 * spec's JSON-RPC shapes: message/send, tasks/get, tasks/cancel, a message/stream passed byte for
 * byte, access per method, and the agent card.
 */
class A2aGovernanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType JSON_TYPE = MediaType.get("application/json");

  private static final String TASK =
      "{\"id\":\"task-1\",\"contextId\":\"ctx-1\",\"kind\":\"task\","
          + "\"status\":{\"state\":\"completed\"},"
          + "\"artifacts\":[{\"artifactId\":\"a1\",\"parts\":[{\"kind\":\"text\",\"text\":\"plan\"}]}]}";

  /** A message/stream answer: status update, artifact update, final status, CRLF and all. */
  private static final String STREAM =
      "data: {\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"result\":{\"kind\":\"status-update\","
          + "\"taskId\":\"task-2\",\"contextId\":\"ctx-2\",\"status\":{\"state\":\"working\"},"
          + "\"final\":false}}\r\n\r\n"
          + ": keep-alive\n\n"
          + "data: {\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"result\":{\"kind\":\"artifact-update\","
          + "\"taskId\":\"task-2\",\"contextId\":\"ctx-2\",\"artifact\":{\"artifactId\":\"a2\","
          + "\"parts\":[{\"kind\":\"text\",\"text\":\"step one ünïcode\"}]}}}\n\n"
          + "data: {\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"result\":{\"kind\":\"status-update\","
          + "\"taskId\":\"task-2\",\"contextId\":\"ctx-2\",\"status\":{\"state\":\"completed\"},"
          + "\"final\":true}}\n\n";

  private final RecordingListener events = new RecordingListener();
  private MockWebServer server;
  private OkHttpClient client;

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    server.start();
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .listener(events)
            .agent(
                A2aAgent.builder("planner", server.url("/a2a").toString())
                    .access(
                        ToolAccess.denyByDefault()
                            .allowConsumer("alice", "message/*", "tasks/get")
                            .allowConsumer("ops", "*")))
            .build();
    client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    this.gateway = gateway;
  }

  private AiGateway gateway;

  @AfterEach
  void stop() {
    Closing.inBackground(server); // a server holding a late answer back would wait for it
  }

  private static String rpc(String id, String method, String params) {
    return "{\"jsonrpc\":\"2.0\",\"id\":\""
        + id
        + "\",\"method\":\""
        + method
        + "\",\"params\":"
        + params
        + "}";
  }

  private Response send(String consumer, String body) throws IOException {
    return send(client, consumer, body);
  }

  /** A POST of {@code body} to the agent through {@code client}, from {@code consumer}. */
  private Response send(OkHttpClient client, String consumer, String body) throws IOException {
    return client
        .newCall(
            new Request.Builder()
                .url(server.url("/a2a"))
                .header("x-consumer-id", consumer)
                .post(RequestBody.create(body, JSON_TYPE))
                .build())
        .execute();
  }

  /** A client whose gateway governs the agent {@code agent} as configured, naming consumers. */
  private OkHttpClient clientOf(A2aAgent.Builder agent) {
    return OkHttpAiGateway.wrap(
        new OkHttpClient(),
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .listener(events)
            .agent(agent)
            .build());
  }

  /** A client of the agent whose content checks deny "project falcon". */
  private OkHttpClient checkingForFalcon() {
    return clientOf(
        A2aAgent.builder("planner", server.url("/a2a").toString())
            .contentChecks(
                dev.aigateway.core.safety.ContentSafety.builder().denyWords("project falcon")));
  }

  private static final String MESSAGE =
      "{\"message\":{\"role\":\"user\",\"messageId\":\"m1\",\"kind\":\"message\","
          + "\"parts\":[{\"kind\":\"text\",\"text\":\"plan a trip\"}]}}";

  @Test
  void messageSendTasksGetAndTasksCancelAreEachOneEvent() throws Exception {
    server.enqueue(json("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":" + TASK + "}"));
    server.enqueue(json("{\"jsonrpc\":\"2.0\",\"id\":\"2\",\"result\":" + TASK + "}"));
    server.enqueue(
        json(
            "{\"jsonrpc\":\"2.0\",\"id\":\"3\",\"error\":{\"code\":-32002,"
                + "\"message\":\"Task cannot be canceled\"}}"));

    try (Response sent = send("ops", rpc("1", "message/send", MESSAGE))) {
      assertThat(sent.body().string()).contains("\"task-1\"");
    }
    try (Response got = send("ops", rpc("2", "tasks/get", "{\"id\":\"task-1\"}"))) {
      assertThat(got.body().string()).contains("\"completed\"");
    }
    try (Response cancel = send("ops", rpc("3", "tasks/cancel", "{\"id\":\"task-1\"}"))) {
      assertThat(cancel.body().string()).contains("-32002");
    }

    GatewayEvent send = events.next();
    assertThat(send.operation()).isEqualTo(Operation.INVOKE_AGENT);
    assertThat(send.tool().kind()).isEqualTo(ToolCallInfo.Kind.A2A);
    assertThat(send.tool().target()).isEqualTo("planner");
    assertThat(send.tool().method()).isEqualTo("message/send");
    assertThat(send.tool().rpcId()).isEqualTo("\"1\"");
    assertThat(send.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(send.tool().argumentBytes()).isEqualTo(MESSAGE.length());
    assertThat(send.tool().resultBytes()).isEqualTo(TASK.length());
    assertThat(events.next().tool().method()).isEqualTo("tasks/get");
    ToolCallInfo cancel = events.next().tool();
    assertThat(cancel.method()).isEqualTo("tasks/cancel");
    assertThat(cancel.outcome()).isEqualTo(ToolCallInfo.Outcome.ERROR);
    assertThat(cancel.errorCode()).isEqualTo(-32002);
  }

  @Test
  void aMethodTheConsumerMayNotCallIsAnsweredLocallyInA2asShape() throws Exception {
    try (Response cancel = send("alice", rpc("7", "tasks/cancel", "{\"id\":\"task-1\"}"))) {
      JsonNode answer = JSON.readTree(cancel.body().string());
      assertThat(answer.get("id").asText()).isEqualTo("7");
      assertThat(answer.path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
      assertThat(answer.path("error").path("data").path("agent").asText()).isEqualTo("planner");
    }
    assertThat(server.getRequestCount()).isZero();
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
  }

  @Test
  void accessEntriesApplyToAMethodUnderTheNameTheOtherA2aVersionGivesIt() throws Exception {
    // A2A 1.0 renamed the methods (message/send is SendMessage, tasks/cancel is CancelTask), and
    // an agent may serve both: an allow entry on message/* did not allow SendMessage, and a deny
    // entry on tasks/cancel let CancelTask through.
    server.enqueue(json("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":" + TASK + "}"));
    try (Response sent = send("alice", rpc("1", "SendMessage", MESSAGE))) {
      assertThat(JSON.readTree(sent.body().string()).has("result")).isTrue();
    }
    GatewayEvent allowed = events.next();
    assertThat(allowed.tool().method()).isEqualTo("SendMessage");
    assertThat(allowed.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(allowed.access().rule()).isEqualTo("allow:consumer:alice");
    assertThat(server.getRequestCount()).isEqualTo(1);

    OkHttpClient denying =
        clientOf(
            A2aAgent.builder("planner", server.url("/a2a").toString())
                .access(
                    ToolAccess.allowByDefault()
                        .denyConsumer("alice", "tasks/cancel", "DeleteTask*")));
    for (String method : new String[] {"CancelTask", "tasks/pushNotificationConfig/delete"}) {
      String answer;
      try (Response refused = send(denying, "alice", rpc("2", method, "{\"id\":\"task-1\"}"))) {
        answer = refused.body().string();
      }
      assertThat(JSON.readTree(answer).path("error").path("code").asInt())
          .as(method)
          .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
      GatewayEvent denied = events.next();
      assertThat(denied.tool().method()).isEqualTo(method);
      assertThat(denied.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
      assertThat(denied.access().rule()).isEqualTo("deny:consumer:alice");
    }
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aRequestWithANullIdIsGovernedAsARequest() throws Exception {
    // JSON-RPC 2.0: a request's id may be null; only a message without an id is a notification.
    String cancel =
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"tasks/cancel\","
            + "\"params\":{\"id\":\"task-1\"}}";
    server.enqueue(json("{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":" + TASK + "}"));
    try (Response refused = send("alice", cancel)) {
      JsonNode answer = JSON.readTree(refused.body().string());
      assertThat(answer.has("id")).isTrue();
      assertThat(answer.get("id").isNull()).isTrue();
      assertThat(answer.path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    }
    assertThat(server.getRequestCount()).isZero();
    ToolCallInfo denied = events.next().tool();
    assertThat(denied.outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
    assertThat(denied.rpcId()).isEqualTo("null");

    try (Response sent = send("ops", cancel)) {
      assertThat(sent.body().string()).contains("\"task-1\"");
    }
    ToolCallInfo answered = events.next().tool();
    assertThat(answered.method()).isEqualTo("tasks/cancel");
    assertThat(answered.outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(answered.resultBytes()).isEqualTo(TASK.length());
  }

  @Test
  void aRequestWithoutAnIdIsGovernedAsARequest() throws Exception {
    // A2A has no notifications, and an agent runs a method sent without an id: it is governed as
    // a request with a null id, not passed as a JSON-RPC notification.
    String cancel =
        "{\"jsonrpc\":\"2.0\",\"method\":\"tasks/cancel\",\"params\":{\"id\":\"task-1\"}}";
    server.enqueue(json("{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":" + TASK + "}"));
    try (Response refused = send("alice", cancel)) {
      JsonNode answer = JSON.readTree(refused.body().string());
      assertThat(answer.get("id").isNull()).isTrue();
      assertThat(answer.path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    }
    assertThat(server.getRequestCount()).isZero();
    ToolCallInfo denied = events.next().tool();
    assertThat(denied.method()).isEqualTo("tasks/cancel");
    assertThat(denied.outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);

    try (Response sent = send("ops", cancel)) {
      assertThat(sent.body().string()).contains("\"task-1\"");
    }
    assertThat(server.takeRequest().getBody().utf8()).isEqualTo(cancel); // sent as it was
    ToolCallInfo answered = events.next().tool();
    assertThat(answered.method()).isEqualTo("tasks/cancel");
    assertThat(answered.outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(answered.resultBytes()).isEqualTo(TASK.length());
  }

  @Test
  void aBatchOfRequestsWithoutIdsIsSentAndEachEndsInItsOwnEvent() throws Exception {
    // Messages without an id (JSON-RPC's notifications) cannot be mixed up with one another by an
    // id they do not have: a batch of them is governed member by member, not refused as if they
    // shared one, and the agent's answers with a null id are read in their order.
    String get = "{\"jsonrpc\":\"2.0\",\"method\":\"tasks/get\",\"params\":{\"id\":\"task-1\"}}";
    String cancel =
        "{\"jsonrpc\":\"2.0\",\"method\":\"tasks/cancel\",\"params\":{\"id\":\"task-1\"}}";
    String answers =
        "[{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":"
            + TASK
            + "},{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32002,"
            + "\"message\":\"Task cannot be canceled\"}}]";
    server.enqueue(json(answers));

    try (Response sent = send("ops", "[" + get + "," + cancel + "]")) {
      assertThat(sent.body().string()).isEqualTo(answers);
    }

    assertThat(server.getRequestCount()).isEqualTo(1);
    ToolCallInfo first = events.next().tool();
    assertThat(first.method()).isEqualTo("tasks/get");
    assertThat(first.outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(first.resultBytes()).isEqualTo(TASK.length());
    ToolCallInfo second = events.next().tool();
    assertThat(second.method()).isEqualTo("tasks/cancel");
    assertThat(second.outcome()).isEqualTo(ToolCallInfo.Outcome.ERROR);
    assertThat(second.errorCode()).isEqualTo(-32002);
    assertThat(events.none()).isTrue();

    // refused as any batch is when one of its members is: each answered with its own error
    try (Response refused = send("alice", "[" + get + "," + cancel + "]")) {
      JsonNode answer = JSON.readTree(refused.body().string());
      assertThat(answer.size()).isEqualTo(2);
      assertThat(answer.get(0).path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.NOT_SENT_CODE);
      assertThat(answer.get(1).path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    }
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.NOT_SENT);
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aRepeatedAnswerToARequestIsCheckedAndEndsInAnEventOfItsOwn() throws Exception {
    // Outside a stream an agent answers a request once. A second answer with the same id (or a
    // null id, after every message sent without one has had its answer) passed unchecked with
    // no event; it is read as the first answer was.
    OkHttpClient checkedClient = checkingForFalcon();
    String leaking = TASK.replace("\"plan\"", "\"project falcon\"");
    String get = "{\"jsonrpc\":\"2.0\",\"method\":\"tasks/get\",\"params\":{\"id\":\"task-1\"}}";
    for (String[] sent :
        new String[][] {
          {rpc("1", "message/send", MESSAGE), "\"1\"", "message/send"}, {get, "null", "tasks/get"}
        }) {
      String id = sent[1];
      server.enqueue(
          json(
              "[{\"jsonrpc\":\"2.0\",\"id\":"
                  + id
                  + ",\"result\":"
                  + TASK
                  + "},{\"jsonrpc\":\"2.0\",\"id\":"
                  + id
                  + ",\"result\":"
                  + leaking
                  + "}]"));

      String read;
      try (Response response = send(checkedClient, "alice", sent[0])) {
        read = response.body().string();
      }

      assertThat(read).as(sent[2]).doesNotContain("project falcon").contains("\"plan\"");
      JsonNode answers = JSON.readTree(read);
      assertThat(answers.get(1).path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
      assertThat(answers.get(1).get("id").toString()).isEqualTo(id);
      assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
      ToolCallInfo repeat = events.next().tool();
      assertThat(repeat.method()).isEqualTo(sent[2]);
      assertThat(repeat.rpcId()).isEqualTo(id);
      assertThat(repeat.outcome()).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
      assertThat(events.none()).as(sent[2]).isTrue();
    }
  }

  @Test
  void aStreamReachesTheAppByteForByteAsItArrivesWithOneEventAtItsEnd() throws Exception {
    server.enqueue(
        new MockResponse.Builder()
            .addHeader("Content-Type", "text/event-stream")
            .body(STREAM)
            .throttleBody(40, 20, TimeUnit.MILLISECONDS)
            .build());

    byte[] read;
    try (Response response = send("alice", rpc("s1", "message/stream", MESSAGE))) {
      read = response.body().bytes();
    }

    assertThat(read).isEqualTo(STREAM.getBytes(StandardCharsets.UTF_8));
    GatewayEvent event = events.next();
    assertThat(event.stream()).isTrue();
    assertThat(event.tool().method()).isEqualTo("message/stream");
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
    assertThat(event.tool().resultBytes()).isPositive();
    assertThat(events.none()).isTrue();
  }

  @Test
  void aStreamUnderA2a10sMethodNamesIsCheckedToItsEndAndEndsInOneEventThere() throws Exception {
    // A2A 1.0 names its JSON-RPC methods as its gRPC binding does: SendStreamingMessage and
    // SubscribeToTask are message/stream and tasks/resubscribe. Every event of such a stream
    // carries the request's id; each result is checked, and the call ends with the stream.
    OkHttpClient checkedClient = checkingForFalcon();
    String leaking = STREAM.replace("step one", "project falcon");
    for (String method : new String[] {"SendStreamingMessage", "SubscribeToTask"}) {
      server.enqueue(
          new MockResponse.Builder()
              .addHeader("Content-Type", "text/event-stream")
              .body(leaking)
              .build());

      String read;
      try (Response response =
          checkedClient
              .newCall(
                  new Request.Builder()
                      .url(server.url("/a2a"))
                      .post(RequestBody.create(rpc("s1", method, MESSAGE), JSON_TYPE))
                      .build())
              .execute()) {
        read = response.body().string();
      }

      assertThat(read).as(method).doesNotContain("project falcon");
      assertThat(read).contains(String.valueOf(AgentGovernance.CONTENT_BLOCKED_CODE));
      GatewayEvent event = events.next();
      assertThat(event.stream()).as(method).isTrue();
      assertThat(event.tool().method()).isEqualTo(method);
      assertThat(event.tool().outcome()).as(method).isEqualTo(ToolCallInfo.Outcome.BLOCKED);
      assertThat(events.none()).isTrue();
    }
  }

  @Test
  void eachStreamedUpdateReachesTheAppBeforeTheNextIsSent() throws Exception {
    // a body written from a callback needs OkHttp 5's MockWebServer (the okhttp4 profile's lacks
    // it); the OkHttp 4.12 run keeps the other streaming tests of this class
    assumeTrue(OkHttp.VERSION.startsWith("5."), "needs OkHttp 5's MockResponseBody");
    int firstEvent = STREAM.indexOf("\r\n\r\n") + 4;
    CountDownLatch firstRead = new CountDownLatch(1);
    server.enqueue(
        new MockResponse.Builder()
            .addHeader("Content-Type", "text/event-stream")
            .body(
                new MockResponseBody() {
                  @Override
                  public long getContentLength() {
                    return STREAM.getBytes(StandardCharsets.UTF_8).length;
                  }

                  @Override
                  public void writeTo(BufferedSink sink) throws IOException {
                    sink.writeUtf8(STREAM.substring(0, firstEvent)).flush();
                    try {
                      // the rest only once the app has read the first update (or after 30 s)
                      firstRead.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                    sink.writeUtf8(STREAM.substring(firstEvent)).flush();
                  }
                })
            .build());

    try (Response response = send("alice", rpc("s1", "message/stream", MESSAGE))) {
      InputStream body = response.body().byteStream();
      long began = System.nanoTime();
      byte[] first = new byte[firstEvent];
      int read = 0;
      while (read < firstEvent) {
        int n = body.read(first, read, firstEvent - read);
        assertThat(n).isPositive();
        read += n;
      }
      long waitedMillis = (System.nanoTime() - began) / 1_000_000;
      firstRead.countDown();
      assertThat(new String(first, StandardCharsets.UTF_8))
          .isEqualTo(STREAM.substring(0, firstEvent));
      // the backend sent nothing more until this read: a first update held for the next one
      // would have come after the backend's 30 s
      assertThat(waitedMillis).isLessThan(20_000);
      assertThat(body.readAllBytes())
          .isEqualTo(STREAM.substring(firstEvent).getBytes(StandardCharsets.UTF_8));
    }
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
  }

  @Test
  void aStreamTheAppCancelsEndsInOneCancelledEvent() throws Exception {
    server.enqueue(
        new MockResponse.Builder()
            .addHeader("Content-Type", "text/event-stream")
            .body(STREAM + STREAM + STREAM)
            .throttleBody(64, 200, TimeUnit.MILLISECONDS)
            .build());

    try (Response response = send("alice", rpc("s1", "message/stream", MESSAGE))) {
      InputStream body = response.body().byteStream();
      byte[] first = new byte[16];
      assertThat(body.read(first)).isPositive();
    }

    GatewayEvent event = events.next();
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.CANCELLED);
    Thread.sleep(100);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aCardOnAnOriginOfTwoAgentsIsRememberedForTheAgentItsUrlNames() throws Exception {
    RecordingListener heard = new RecordingListener();
    AiGateway shared =
        AiGateway.builder()
            .listener(heard)
            .agent(A2aAgent.builder("planner", server.url("/agents/planner").toString()))
            .agent(A2aAgent.builder("booker", server.url("/agents/booker").toString()))
            .build();
    OkHttpClient sharedClient = OkHttpAiGateway.wrap(new OkHttpClient(), shared);
    String card =
        "{\"name\":\"Trip Planner\",\"version\":\"1.2.0\",\"url\":\""
            + server.url("/agents/planner")
            + "\",\"skills\":[]}";
    server.enqueue(json(card));
    server.enqueue(json("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":" + TASK + "}"));

    try (Response response =
        sharedClient
            .newCall(new Request.Builder().url(server.url("/.well-known/agent-card.json")).build())
            .execute()) {
      assertThat(response.body().string()).isEqualTo(card);
    }

    assertThat(shared.agents().agentCard("planner")).isPresent();
    assertThat(shared.agents().agentCard("booker")).isEmpty();
    try (Response sent =
        sharedClient
            .newCall(
                new Request.Builder()
                    .url(server.url("/agents/booker"))
                    .post(RequestBody.create(rpc("1", "message/send", MESSAGE), JSON_TYPE))
                    .build())
            .execute()) {
      sent.body().string();
    }
    GatewayEvent event = heard.next();
    assertThat(event.tool().target()).isEqualTo("booker");
    assertThat(event.tool().agentName()).isNull();
  }

  @Test
  void theAgentCardPassesUntouchedAndIsRemembered() throws Exception {
    String card =
        "{\"name\":\"Trip Planner\",\"version\":\"1.2.0\",\"url\":\""
            + server.url("/a2a")
            + "\",\"capabilities\":{\"streaming\":true},\"skills\":[]}";
    server.enqueue(json(card));
    server.enqueue(json("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":" + TASK + "}"));

    try (Response response =
        client
            .newCall(new Request.Builder().url(server.url("/.well-known/agent-card.json")).build())
            .execute()) {
      assertThat(response.body().string()).isEqualTo(card);
    }
    assertThat(gateway.agents().agentCard("planner")).isPresent();
    assertThat(gateway.agents().agentCard("planner").get().name()).isEqualTo("Trip Planner");
    assertThat(gateway.agents().agentCard("planner").get().version()).isEqualTo("1.2.0");
    assertThat(events.all).isEmpty();

    try (Response sent = send("ops", rpc("1", "message/send", MESSAGE))) {
      sent.body().string();
    }
    assertThat(events.next().tool().agentName()).isEqualTo("Trip Planner");
  }

  @Test
  void aTimeoutTheApplicationSetsOnTheCardsSourceBoundsItsReads() throws Exception {
    // The card comes 5 s after its headers: within the client's read timeout, past the app's.
    server.enqueue(
        new MockResponse.Builder()
            .addHeader("Content-Type", "application/json")
            .body("{\"name\":\"Trip Planner\",\"version\":\"1.2.0\",\"skills\":[]}")
            .bodyDelay(5, TimeUnit.SECONDS)
            .build());

    try (Response response =
        client
            .newCall(new Request.Builder().url(server.url("/.well-known/agent-card.json")).build())
            .execute()) {
      okio.BufferedSource source = response.body().source();
      source.timeout().timeout(100, TimeUnit.MILLISECONDS);
      assertThatThrownBy(source::readUtf8).isInstanceOf(java.io.InterruptedIOException.class);
    }
    assertThat(gateway.agents().agentCard("planner")).isEmpty();
  }

  @Test
  void aCardTheApplicationAskedCompressedIsPassedAsItCameAndRemembered() throws Exception {
    // An application that sets Accept-Encoding itself gets the answer as the agent sent it
    // (OkHttp inflates only what it asked for): the card passes compressed, and the inventory
    // still remembers it, read inflated.
    String card =
        "{\"name\":\"Trip Planner\",\"version\":\"2.0.0\",\"url\":\""
            + server.url("/a2a")
            + "\",\"skills\":[]}";
    okio.Buffer gzipped = new okio.Buffer();
    try (BufferedSink sink = okio.Okio.buffer(new okio.GzipSink(gzipped))) {
      sink.writeUtf8(card);
    }
    byte[] compressed = gzipped.readByteArray();
    server.enqueue(
        new MockResponse.Builder()
            .addHeader("Content-Type", "application/json")
            .addHeader("Content-Encoding", "gzip")
            .body(new okio.Buffer().write(compressed))
            .build());

    try (Response response =
        client
            .newCall(
                new Request.Builder()
                    .url(server.url("/.well-known/agent-card.json"))
                    .header("Accept-Encoding", "gzip")
                    .build())
            .execute()) {
      assertThat(response.header("Content-Encoding")).isEqualTo("gzip");
      assertThat(response.body().bytes()).isEqualTo(compressed);
    }
    assertThat(gateway.agents().agentCard("planner"))
        .as("the card fetched compressed is remembered")
        .isPresent();
    assertThat(gateway.agents().agentCard("planner").get().name()).isEqualTo("Trip Planner");
    assertThat(gateway.agents().agentCard("planner").get().card()).isEqualTo(card);
    assertThat(events.all).isEmpty();
  }

  @Test
  void aCardReadByAJsonParserThatStopsAtItsEndIsRemembered() throws Exception {
    // A JSON parser (Jackson's readTree here, as A2A clients read cards) reads the card's value
    // and closes the body without asking for more: it never reads the end of the stream.
    String card =
        "{\"name\":\"Trip Planner\",\"version\":\"3.0.0\",\"url\":\""
            + server.url("/a2a")
            + "\",\"skills\":[]}";
    server.enqueue(json(card));

    JsonNode read;
    try (Response response =
        client
            .newCall(new Request.Builder().url(server.url("/.well-known/agent-card.json")).build())
            .execute()) {
      read = JSON.readTree(response.body().byteStream());
    }

    assertThat(read.path("name").asText()).isEqualTo("Trip Planner");
    assertThat(gateway.agents().agentCard("planner"))
        .as("the card read by a JSON parser is remembered")
        .isPresent();
    assertThat(gateway.agents().agentCard("planner").get().version()).isEqualTo("3.0.0");
  }

  @Test
  void aCardInUtf16IsRememberedAsItsText() throws Exception {
    // JSON may come in UTF-16 (its first bytes, or its Content-Type's charset, say so), as
    // clients read it: the card remembered is its text, not its bytes read as UTF-8.
    String card =
        "{\"name\":\"Reiseplaner\",\"version\":\"4.0.0\",\"url\":\""
            + server.url("/a2a")
            + "\",\"description\":\"plant Reisen für Sie\",\"skills\":[]}";
    for (String contentType :
        new String[] {"application/json", "application/json; charset=utf-16le"}) {
      byte[] bytes =
          card.getBytes(
              contentType.endsWith("le")
                  ? StandardCharsets.UTF_16LE
                  : StandardCharsets.UTF_16BE); // no byte-order mark: JSON's detection
      server.enqueue(
          new MockResponse.Builder()
              .addHeader("Content-Type", contentType)
              .body(new okio.Buffer().write(bytes))
              .build());

      try (Response response =
          client
              .newCall(
                  new Request.Builder().url(server.url("/.well-known/agent-card.json")).build())
              .execute()) {
        assertThat(response.body().bytes()).as(contentType).isEqualTo(bytes);
      }
      assertThat(gateway.agents().agentCard("planner")).as(contentType).isPresent();
      assertThat(gateway.agents().agentCard("planner").get().name())
          .as(contentType)
          .isEqualTo("Reiseplaner");
      assertThat(gateway.agents().agentCard("planner").get().card())
          .as(contentType)
          .isEqualTo(card);
    }
  }

  private static MockResponse json(String body) {
    return new MockResponse.Builder()
        .addHeader("Content-Type", "application/json")
        .body(body)
        .build();
  }
}
