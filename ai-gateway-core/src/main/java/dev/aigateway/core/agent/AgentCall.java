package dev.aigateway.core.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.AccessInfo;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Caller;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.LimitsInfo;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.SafetyInfo;
import dev.aigateway.api.SafetyOutcome;
import dev.aigateway.api.TimingInfo;
import dev.aigateway.api.ToolCallInfo;
import dev.aigateway.api.spi.ContentCheck;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.core.access.ToolAccess;
import dev.aigateway.core.limit.CallCounters;
import dev.aigateway.core.pipeline.CallSettings;
import dev.aigateway.core.pipeline.StageFailures;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.core.wire.ClientRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One governed JSON-RPC POST to an MCP server or A2A agent (one message or a batch), for client
 * adapters: {@link #admit()} checks every request in it (access, argument size, content, then the
 * counters of all of them at once) and either answers it locally or lets it go; {@link #answered}
 * wraps the server's answer so each request's response is read (and a {@code tools/list} filtered,
 * a result checked) as it passes; {@link #failed} reports a send that failed. Each request (a
 * message with an id) ends in exactly one event; a response repeating the answer to a request is
 * read as that answer was and ends in one of its own. For an MCP server with content checks, the
 * requests the server sends the client on a stream and the client's answers to them (responses it
 * POSTs) are checked and end in one event each, and so are notifications either way, which end in
 * an event only when a check blocks them; otherwise all of these pass ungoverned. Thread-safe for
 * the one adapter thread plus a closing thread.
 */
public final class AgentCall {

  /** JSON-RPC's code of a request that is not readable JSON. */
  /** The event's safety of a call whose checked arguments and result passed every check. */
  private static final SafetyInfo PASSED =
      new SafetyInfo(SafetyOutcome.PASSED, null, null, 0, null);

  private static final int PARSE_ERROR_CODE = -32700;

  private static final int INVALID_REQUEST_CODE = -32600;

  /**
   * The method a server request a content check blocked is renamed to on its way to the client (its
   * params then name the method, reason, check and category): no client runs it, and a client
   * answers it with its "method not found" error, which fails the server's request at once.
   */
  public static final String BLOCKED_METHOD = "ai-gateway/blocked";

  /** The rule a tools/call without a readable tool name is refused by. */
  static final String NO_TOOL_NAME_RULE = "no-tool-name";

  private final AgentGovernance governance;
  private final Peer peer;
  private final ClientRequest request;
  private final Instant startedAt;
  private final long startNanos;
  private final List<Member> members = new ArrayList<>();

  /**
   * The client's answers to server requests this POST carries (JSON-RPC responses), each checked
   * and ending in an event of its own when the POST's answer arrives.
   */
  private final List<Member> clientAnswers = new ArrayList<>();

  private final Map<String, Member> byId = new HashMap<>();
  private Rpc.@Nullable Document document;
  private String consumer = CallSettings.ANONYMOUS;
  private Set<String> roles = Set.of();
  private CallCounters.@Nullable Taken taken;
  private Map<String, String> counterKeys = Map.of();
  private long gatewayNanos;
  private @Nullable String sessionId;
  private boolean settled;
  private int status = 200;

  /** The answer's {@code Content-Type}: the charset a JSON answer is read in. */
  private @Nullable String answerType;

  /**
   * Whether this is an MCP GET stream (the listen stream, or a stream resumed with {@code
   * Last-Event-ID}) rather than a POST: it sends no request, and each response it carries (a
   * server's replay of an answer to an earlier POST) is read as it passes and ends in an event of
   * its own.
   */
  private final boolean listen;

  AgentCall(AgentGovernance governance, Peer peer, ClientRequest request) {
    this(governance, peer, request, false);
  }

  AgentCall(AgentGovernance governance, Peer peer, ClientRequest request, boolean listen) {
    this.governance = governance;
    this.peer = peer;
    this.request = request;
    this.listen = listen;
    this.startedAt = governance.clock.instant();
    this.startNanos = System.nanoTime();
    this.sessionId = request.header("Mcp-Session-Id");
  }

  /** What {@link #admit()} decided. */
  public static final class Admission {
    private final byte @Nullable [] localAnswer;
    private final byte @Nullable [] body;

    Admission(byte @Nullable [] localAnswer) {
      this(localAnswer, null);
    }

    Admission(byte @Nullable [] localAnswer, byte @Nullable [] body) {
      this.localAnswer = localAnswer;
      this.body = body;
    }

    /**
     * The body to send in place of the application's, in the same charset, or null to send it as it
     * is: a POST holding a client's answer to a server request whose content a check blocked goes
     * with a JSON-RPC error ({@link AgentGovernance#CONTENT_BLOCKED_CODE}, the same id) in that
     * answer's place, so the server learns that its request failed and the data does not leave.
     * With a {@link #localAnswer()}: the messages of the POST the server answers with nothing (the
     * client's answers, notifications), to send on their own before the application gets the local
     * answer, reporting the server's status to {@link AgentCall#sentAlone} (or a failure to {@link
     * AgentCall#failed}); null when there are none.
     */
    public byte @Nullable [] body() {
      return body;
    }

    /**
     * The JSON answer to give the application instead of sending (HTTP 200, {@code
     * application/json}), or null when the request is to be sent.
     */
    public byte @Nullable [] localAnswer() {
      return localAnswer;
    }
  }

  private static boolean nameInAnotherCase(JsonNode params) {
    for (Iterator<String> names = params.fieldNames(); names.hasNext(); ) {
      String key = names.next();
      if (!"name".equals(key) && "name".equalsIgnoreCase(key)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The tool a {@code tools/call} message names, else null. A name given as a number or a boolean
   * is the text a server reads it as (123: "123"), so it is checked as that text rather than let
   * through unchecked. A name also given in another case ("NAME") is not read: Go's JSON decoder
   * takes the last of them.
   */
  private static @Nullable String toolOf(Rpc.Message message, String method, Peer peer) {
    JsonNode name = message.node().path("params").path("name");
    return peer.kind == ToolCallInfo.Kind.MCP
            && "tools/call".equals(method)
            && (name.isTextual() || name.isIntegralNumber() || name.isBoolean())
            && !nameInAnotherCase(message.node().path("params"))
        ? name.asText()
        : null;
  }

  /** One request of the POST. */
  private static final class Member {
    final Rpc.Message message;
    final String id;

    /** The id answers are matched by: a number by its value ({@link Rpc.Message#idKey()}). */
    final String key;

    /** An A2A message sent without an id: answered, if at all, with a null id. */
    final boolean idless;

    final String method;
    final @Nullable String tool;
    final @Nullable ToolPolicy toolPolicy;
    long argumentBytes;

    /**
     * A message the server sent (a request to the client) or the client's answer to one: checked
     * and reported in an event of its own, never charged to a limit.
     */
    boolean uncharged;

    /**
     * Whether its answer is a stream of responses that all carry its id (an A2A stream), so it ends
     * with the stream, each response read and checked; set for an A2A request answered with an
     * event stream, whatever its method is named.
     */
    boolean streaming;

    ToolCallInfo.Outcome outcome = ToolCallInfo.Outcome.NONE;
    @Nullable Integer errorCode;
    @Nullable RejectionReason rejection;
    AccessInfo access = AccessInfo.NONE;
    @Nullable String rejectedLimit;

    /** What content safety found in the arguments and the result, for the event. */
    SafetyInfo safety = SafetyInfo.NONE;

    long resultBytes;
    long latencyNanos = -1;
    boolean ended;
    boolean sawResult;
    byte[] localError = new byte[0];

    /** The type of the exception the call failed with, when the gateway failed on it. */
    @Nullable String errorType;

    Member(Rpc.Message message, String id, String method, Peer peer) {
      this(message, id, method, toolOf(message, method, peer), peer);
    }

    /** A member whose tool is known otherwise (a response answering an earlier request). */
    Member(Rpc.Message message, String id, String method, @Nullable String tool, Peer peer) {
      this.message = message;
      this.id = id;
      String key = message.idKey();
      this.key = key == null ? id : key;
      this.idless = key == null;
      this.method = method;
      this.tool = tool;
      this.toolPolicy = peer.tool(tool);
      Rpc.Span params = message.members().get("params");
      this.argumentBytes = params == null ? 0 : params.length();
      this.streaming = peer.streaming(method);
    }
  }

  /**
   * Reads the POST's messages and checks each request: its credential and access, argument size,
   * content, then the counters of all requests at once. A refused request refuses the whole POST
   * (its other requests are answered {@link AgentGovernance#NOT_SENT_CODE}): the application gets
   * one local answer with a JSON-RPC error per request and no request is sent (what the server
   * answers with nothing, the client's answers and notifications, goes on its own: {@link
   * Admission#body()}). So does a batch with two requests of the same id (their answers could not
   * be told apart): those requests are answered -32600 (invalid request), the others {@link
   * AgentGovernance#NOT_SENT_CODE}, all {@code NOT_SENT} (A2A messages sent without an id have no
   * id to share: several go together, their answers, all with a null id, read in their order). A
   * body that is not JSON-RPC, or has no request, goes as it is and makes no event. One that starts
   * as a JSON object or array but cannot be read whole (malformed, followed by more text, beyond
   * the parser's bounds) is not sent either: the answer is JSON-RPC's parse error (-32700, id
   * null), with one {@code NOT_SENT} event (rejection {@code INVALID_REQUEST}, no method or tool,
   * id {@code null}).
   *
   * @throws UncheckedIOException when a check failed with an unexpected exception (a defect, or a
   *     part the application plugged in that threw where nothing guards it) or overflowed its stack
   *     (a deny pattern of the application's that recurses on long arguments, such as {@code
   *     (a|b)*}): every request of the POST has then ended {@link CallOutcome#FAILED} ({@code
   *     NOT_SENT}), each with its one event naming that exception's type, nothing was sent and
   *     nothing is held. An adapter throws the {@link IOException} it holds (whose cause is the
   *     exception), so that only an {@code IOException} reaches the application.
   */
  public Admission admit() {
    long began = System.nanoTime();
    try {
      return admitTimed();
    } catch (RuntimeException | Error e) {
      // As for an LLM call: any error but the JVM's own (an AssertionError or NoClassDefFoundError
      // of a part the application plugged in) ends the call with its event and an IOException.
      StageFailures.rethrowIfFatal(e);
      gatewayNanos += System.nanoTime() - began;
      began = System.nanoTime();
      notAdmitted(e);
      throw new UncheckedIOException(
          new IOException(
              "ai-gateway: the call to "
                  + (peer.kind == ToolCallInfo.Kind.MCP ? "MCP server '" : "A2A agent '")
                  + peer.name
                  + "' could not be admitted: "
                  + e.getClass().getName(),
              e));
    } finally {
      gatewayNanos += System.nanoTime() - began;
    }
  }

  /**
   * Ends every request of a POST whose admission failed: {@code NOT_SENT}, the call {@code FAILED}
   * with the failure's type, and frees whatever was reserved (nothing was sent).
   */
  private synchronized void notAdmitted(Throwable failure) {
    if (members.isEmpty() && clientAnswers.isEmpty()) {
      // Failed before its requests were known: one event all the same, as for an unreadable body.
      members.add(
          new Member(
              new Rpc.Message(
                  com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(),
                  new Rpc.Span(0, 0),
                  Map.of()),
              "null",
              "",
              peer));
    }
    settle(false); // before the last event, which would settle the call as sent
    for (Member answer : clientAnswers) {
      if (!answer.ended) {
        answer.errorType = failure.getClass().getName();
        end(answer, ToolCallInfo.Outcome.NOT_SENT, CallOutcome.FAILED, 0);
      }
    }
    for (Member m : members) {
      if (!m.ended) {
        m.rejection = null;
        m.errorCode = null;
        m.rejectedLimit = null;
        m.errorType = failure.getClass().getName();
        end(m, ToolCallInfo.Outcome.NOT_SENT, CallOutcome.FAILED, 0);
      }
    }
  }

  private Admission admitTimed() {
    String encoding = request.header("Content-Encoding");
    if (encoding != null && !encoding.isBlank() && !"identity".equalsIgnoreCase(encoding.trim())) {
      // Compressed: the gateway does not read it, and a server that inflates request bodies (as
      // Express's JSON parser does) would run it.
      document = Rpc.UNREADABLE;
      return unreadable(
          request.body().length,
          "it is sent with Content-Encoding '"
              + encoding.trim()
              + "', which the gateway does not read; send it uncompressed");
    }
    byte[] sent = request.body();
    byte[] body = Rpc.utf8(sent, request.header("Content-Type"));
    document = Rpc.parse(body, new Rpc.Span(0, body.length));
    byte[] asJson = Rpc.utf8(sent, null);
    if (readsTwoWays(body, document != null, asJson)) {
      // A UTF-8 call labelled UTF-16 reads as no JSON-RPC at all here: it must not pass ungoverned.
      document = Rpc.UNREADABLE;
      return unreadable(
          sent.length,
          "it reads differently in the charset its Content-Type names and as JSON is read (UTF-8,"
              + " or the UTF-16 or UTF-32 its first bytes show), and servers read it either way;"
              + " send it in UTF-8, or name the charset it is in");
    }
    if (document == null) {
      return new Admission(null);
    }
    if (document == Rpc.UNREADABLE) {
      return unreadable(
          body.length,
          "it is not JSON the gateway can read whole (malformed, followed by more text, or a"
              + " number, name or nesting beyond its bounds)");
    }
    int keyed = 0;
    List<Rpc.Message> responses = new ArrayList<>();
    List<Rpc.Message> notifications = new ArrayList<>();
    // The messages the server answers with nothing (the client's answers, notifications), in order.
    List<Rpc.Message> unanswered = new ArrayList<>();
    for (Rpc.Message message : document.messages()) {
      String method = message.method();
      String id = message.id();
      String inAnotherCase = message.memberInAnotherCase();
      String invalid =
          inAnotherCase != null
              ? "its member \""
                  + inAnotherCase
                  + "\" is a JSON-RPC member name in another case, which some servers read as"
                  + " that member and others ignore, so what it asks for is not known; member"
                  + " names are case-sensitive"
              : message.methodNotAString()
                  ? "its method is not a string, which some servers read as text (a lookup by"
                      + " [\"tools/call\"] finds tools/call) and others refuse, so what it asks"
                      + " for is not known; a method is a string"
                  : null;
      if (invalid != null) {
        // What a server runs of it is not known (Go's decoder reads "Method" as method; a
        // JavaScript lookup reads ["tools/call"] as "tools/call"): it is a request the gateway
        // refuses, whatever else it looks like.
        Member member = new Member(message, id == null ? "null" : id, "", peer);
        members.add(member);
        refuse(
            member,
            ToolCallInfo.Outcome.NOT_SENT,
            RejectionReason.INVALID_REQUEST,
            INVALID_REQUEST_CODE,
            "a message to "
                + (peer.kind == ToolCallInfo.Kind.MCP ? "MCP server '" : "A2A agent '")
                + peer.name
                + "' was not sent: "
                + invalid,
            Map.of("reason", RejectionReason.INVALID_REQUEST.headerValue()));
        continue;
      }
      if (message.isResponse()) {
        responses.add(message); // a client's answer to a server request
        unanswered.add(message);
        continue;
      }
      // A2A has no notifications, and an agent runs a method sent without an id (answering it
      // with a null id): there, such a message is a request like any other. MCP's notifications
      // are its notifications/* methods; any other method written without an id (a tools/call,
      // say) is a request malformed, which a server that runs notifications (JSON-RPC allows it)
      // would run: it is governed as a request with a null id too, never passed ungoverned.
      if (id == null
          && method != null
          && (peer.kind == ToolCallInfo.Kind.A2A || !method.startsWith("notifications/"))) {
        id = "null";
      }
      if (method != null && id != null) {
        Member member = new Member(message, id, method, peer);
        members.add(member);
        if (!member.idless) {
          byId.putIfAbsent(member.key, member);
          keyed++;
        }
      } else if (method != null) {
        notifications.add(message); // an MCP notification, which carries data as a request does
        unanswered.add(message);
      }
    }
    for (Rpc.Message notification :
        checksServerExchanges() ? notifications : List.<Rpc.Message>of()) {
      Member blocked = blockedNotification(notification);
      if (blocked != null) {
        members.add(blocked); // refused as a request is: the POST is answered locally
        unanswered.removeIf(m -> m == notification);
      }
    }
    noteCancellations(unanswered); // sent: on their own when the POST is answered locally
    if (members.isEmpty()) {
      if (!responses.isEmpty() && checksServerExchanges()) {
        resolveConsumer(); // the answers' events name the caller
      }
      return sending(sent, body, responses);
    }
    if (byId.size() < keyed) {
      // Answers are matched to requests by id: with two requests of one id, which answer is whose
      // is not known, so the batch is not sent. Messages without an id share none: their answers
      // (null ids) are read in order.
      Map<String, Integer> uses = new HashMap<>();
      for (Member member : members) {
        if (!member.idless) {
          uses.merge(member.key, 1, Integer::sum);
        }
      }
      for (Member member : members) {
        if (!member.idless && uses.get(member.key) > 1) {
          refuse(
              member,
              ToolCallInfo.Outcome.NOT_SENT,
              RejectionReason.INVALID_REQUEST,
              INVALID_REQUEST_CODE,
              describe(member)
                  + " was not sent: its id "
                  + member.id
                  + " is also the id of another request of its batch (a number read by its value,"
                  + " as JavaScript reads it), so their answers cannot be told apart; ids must be"
                  + " unique",
              Map.of("reason", RejectionReason.INVALID_REQUEST.headerValue()));
        }
      }
      resolveConsumer(); // the events name the caller; its answers stay -32600 and -32094
      return answeredLocally(sent, body, responses, unanswered);
    }
    resolveCaller();
    boolean refused = false;
    for (Member member : members) {
      refused |= check(member);
    }
    if (!refused) {
      refused = reserve();
    }
    if (!refused) {
      return sending(sent, body, responses);
    }
    return answeredLocally(sent, body, responses, unanswered);
  }

  /**
   * Remembers the requests the client cancels in this POST ({@code notifications/cancelled} naming
   * a {@code requestId}, MCP), so that one whose stream then ends without its response ends {@code
   * CANCELLED}, not {@code NO_RESPONSE}: the server stops a cancelled request and sends no
   * response.
   */
  private void noteCancellations(List<Rpc.Message> unanswered) {
    if (peer.kind != ToolCallInfo.Kind.MCP) {
      return;
    }
    for (Rpc.Message message : unanswered) {
      if ("notifications/cancelled".equals(message.method())) {
        governance.cancelled(
            peer.name, sessionId, Rpc.Message.key(message.node().path("params").get("requestId")));
      }
    }
  }

  /**
   * Whether the messages a server sends the client on its own (requests such as {@code
   * sampling/createMessage}, {@code elicitation/create}, {@code roots/list}) and the client's
   * answers to them are checked: for an MCP server with content checks (its own or a tool's).
   */
  private boolean checksServerExchanges() {
    return peer.kind == ToolCallInfo.Kind.MCP && !peer.anyChecks().isEmpty();
  }

  /**
   * The admission of a POST that is sent: the client's answers to server requests in it ({@code
   * responses}) are checked (see {@link #checkAnswers}); one a check blocks is sent as a JSON-RPC
   * error with its id in its place.
   *
   * @param sent the body as the application wrote it
   * @param body the body as UTF-8, where the responses' spans are
   */
  private Admission sending(byte[] sent, byte[] body, List<Rpc.Message> responses) {
    if (responses.isEmpty() || !checksServerExchanges()) {
      return new Admission(null);
    }
    checkAnswers(responses);
    ByteArrayOutputStream out = null;
    int copied = 0;
    for (Member answer : clientAnswers) {
      if (answer.outcome != ToolCallInfo.Outcome.BLOCKED) {
        continue;
      }
      if (out == null) {
        out = new ByteArrayOutputStream(body.length);
      }
      out.write(body, copied, answer.message.span().start() - copied);
      out.writeBytes(answer.localError);
      copied = answer.message.span().end();
    }
    if (out == null) {
      return new Admission(null);
    }
    out.write(body, copied, body.length - copied);
    return new Admission(null, inSentCharset(sent, out.toByteArray()));
  }

  /**
   * The admission of a POST answered locally (a request in it refused): the application gets the
   * local answer, and the messages in it that the server answers with nothing ({@code unanswered}:
   * the client's answers to server requests, checked as for a POST that is sent, and the
   * notifications that passed) are sent all the same, on their own, as a batch when there are
   * several: the server waits for the answers (its requests, and the calls they came during, would
   * hang without them) and runs the notifications (a cancellation), and no answer of its needs
   * merging into the local one.
   *
   * @param sent the body as the application wrote it
   * @param body the body as UTF-8, where the messages' spans are
   */
  private Admission answeredLocally(
      byte[] sent, byte[] body, List<Rpc.Message> responses, List<Rpc.Message> unanswered) {
    byte[] local = localAnswer();
    if (unanswered.isEmpty()) {
      return new Admission(local);
    }
    if (checksServerExchanges()) {
      checkAnswers(responses);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length);
    boolean several = unanswered.size() > 1;
    if (several) {
      out.write('[');
    }
    for (int i = 0; i < unanswered.size(); i++) {
      Rpc.Message message = unanswered.get(i);
      if (i > 0) {
        out.write(',');
      }
      byte[] error = null;
      for (Member answer : clientAnswers) {
        if (answer.message == message && answer.outcome == ToolCallInfo.Outcome.BLOCKED) {
          error = answer.localError;
        }
      }
      if (error != null) {
        out.writeBytes(error);
      } else {
        out.write(body, message.span().start(), message.span().length());
      }
    }
    if (several) {
      out.write(']');
    }
    return new Admission(local, inSentCharset(sent, out.toByteArray()));
  }

  /** A body written in UTF-8, in the charset the application's body {@code sent} is in. */
  private byte[] inSentCharset(byte[] sent, byte[] utf8) {
    Charset charset = Rpc.charset(sent, request.header("Content-Type"));
    return charset == null ? utf8 : new String(utf8, StandardCharsets.UTF_8).getBytes(charset);
  }

  /**
   * Checks the client's answers to server requests ({@code responses}) by the prompt checks of the
   * server and of every tool (what the client answers leaves it, as arguments do), each to end in
   * an event of its own when the POST that carries it is answered; one a check blocks holds, as its
   * local error, the JSON-RPC error (its id) that goes in its place.
   */
  private void checkAnswers(List<Rpc.Message> responses) {
    for (Rpc.Message message : responses) {
      String id = message.id();
      AgentGovernance.Asked asked = governance.recall(true, peer.name, sessionId, message.idKey());
      Member answer =
          new Member(message, id == null ? "null" : id, asked == null ? "" : asked.method(), peer);
      answer.uncharged = true;
      clientAnswers.add(answer);
      boolean error = !message.members().containsKey("result");
      Rpc.Span span = message.members().get(error ? "error" : "result");
      answer.argumentBytes = span == null ? 0 : span.length();
      JsonNode content = message.node().get(error ? "error" : "result");
      if (error) {
        JsonNode code = content == null ? null : content.get("code");
        answer.errorCode = code != null && code.canConvertToInt() ? code.intValue() : null;
      }
      ContentSafety.Finding finding = screenEveryCheck(ContentCheck.Where.PROMPT, content);
      if (finding == null) {
        answer.safety = PASSED;
        answer.outcome = error ? ToolCallInfo.Outcome.ERROR : ToolCallInfo.Outcome.OK;
        continue;
      }
      blocked(
          answer,
          "the contents of the client's answer to request "
              + answer.id
              + " of MCP server '"
              + peer.name
              + "'",
          finding,
          false);
    }
  }

  /**
   * Ends the events of the client's answers this POST carried: as the POST's answer arrived with
   * {@code status} (0: the send failed).
   */
  private synchronized void endClientAnswers(int status) {
    for (Member answer : clientAnswers) {
      if (answer.ended) {
        continue;
      }
      if (status == 0) {
        end(answer, ToolCallInfo.Outcome.TRANSPORT_ERROR, CallOutcome.FAILED, 0);
      } else if (status < 200 || status > 299) {
        end(answer, ToolCallInfo.Outcome.HTTP_ERROR, CallOutcome.BACKEND_ERROR, status);
      } else {
        end(
            answer,
            answer.outcome,
            answer.outcome == ToolCallInfo.Outcome.BLOCKED
                ? CallOutcome.REJECTED
                : CallOutcome.SUCCESS,
            status);
      }
    }
  }

  /**
   * A notification the client sends (MCP, when the server has content checks): its {@code params}
   * are checked by the prompt checks of the server and of every tool, as a client's answer is,
   * since what it carries leaves the client as arguments do (a cancellation's reason, a progress
   * message, anything a notification of the application's own holds). Returns it as a request
   * refused ({@code BLOCKED}, id {@code null}, never charged) when a check blocks it, so the POST
   * is answered locally and it is not sent; else null, and it goes as it is, making no event.
   */
  private @Nullable Member blockedNotification(Rpc.Message message) {
    String method = message.method();
    ContentSafety.Finding finding =
        screenEveryCheck(ContentCheck.Where.PROMPT, message.node().get("params"));
    if (method == null || finding == null) {
      return null;
    }
    Member notification = new Member(message, "null", method, peer);
    notification.uncharged = true;
    blocked(
        notification,
        "the params of notification '" + method + "' to MCP server '" + peer.name + "'",
        finding,
        false);
    return notification;
  }

  /**
   * A request or notification the server sent the client on a stream ({@code
   * sampling/createMessage}, {@code elicitation/create}, {@code roots/list}, {@code
   * notifications/message}, {@code notifications/progress}, ...): its {@code params} are checked by
   * the answer checks of the server and of every tool (it may come during any call). A request ends
   * in an event of its own; a notification only when a check blocks it (notifications that pass
   * make none, as the client's do not). One a check blocks does not reach the client as it was: in
   * its place the client gets a message of the method {@value #BLOCKED_METHOD} with the same id (a
   * notification: none), whose params name the method, reason, check and category; a client answers
   * such a request with its "method not found" error, which fails the server's request at once
   * instead of leaving it waiting, and ignores such a notification. Null to pass it as it is.
   */
  private byte @Nullable [] serverRequest(Rpc.Message message) {
    String method = message.method();
    String id = message.id();
    if (method == null || !checksServerExchanges()) {
      return null;
    }
    if (id != null) {
      governance.remember(true, peer.name, sessionId, message.idKey(), method, null);
    }
    ContentSafety.Finding finding =
        screenEveryCheck(ContentCheck.Where.ANSWER, message.node().get("params"));
    if (id == null && finding == null) {
      return null;
    }
    Member request = new Member(message, id == null ? "null" : id, method, peer);
    request.uncharged = true;
    byte[] replacement = null;
    if (finding == null) {
      request.safety = PASSED;
      request.outcome = ToolCallInfo.Outcome.OK;
    } else {
      blocked(
          request,
          "the params of "
              + (id == null ? "notification '" : "request '")
              + method
              + (id == null ? "'" : "' (id " + id + ")")
              + " of MCP server '"
              + peer.name
              + "'",
          finding,
          true);
      Map<String, Object> params = new LinkedHashMap<>();
      params.put("method", method);
      params.put("reason", request.rejection == null ? "" : request.rejection.headerValue());
      params.put("check", finding.check());
      params.put("category", finding.category());
      try {
        replacement =
            ("{\"jsonrpc\":\"2.0\","
                    + (id == null ? "" : "\"id\":" + id + ",")
                    + "\"method\":\""
                    + BLOCKED_METHOD
                    + "\",\"params\":"
                    + dev.aigateway.core.wire.Json.MAPPER.writeValueAsString(params)
                    + "}")
                .getBytes(StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      request.resultBytes = replacement.length;
    }
    end(request, request.outcome, CallOutcome.SUCCESS, status);
    return replacement;
  }

  /**
   * What the first of the server's and every tool's checks to block {@code content} found (its
   * texts read as {@link Rpc#strings} reads them), or null when none blocks it: for the messages of
   * a server's exchanges with the client, which belong to no one tool.
   */
  private ContentSafety.@Nullable Finding screenEveryCheck(
      ContentCheck.Where where, @Nullable JsonNode content) {
    List<String> texts = Rpc.strings(content);
    for (ContentSafety safety : peer.anyChecks()) {
      ContentSafety.Finding finding = safety.screen(where, texts);
      if (finding != null) {
        return finding;
      }
    }
    return null;
  }

  /**
   * Answers a POST whose requests cannot be read: what the server would run is not known, so it is
   * not sent (JSON-RPC's parse error), and ends in one event of its own (no method or tool is
   * known; id null, as answered).
   */
  private Admission unreadable(int bodyLength, String why) {
    Member unreadable =
        new Member(
            new Rpc.Message(
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(),
                new Rpc.Span(0, bodyLength),
                Map.of()),
            "null",
            "",
            peer);
    resolveCaller(); // before the member is added: a refused credential changes no answer
    members.add(unreadable);
    unreadable.outcome = ToolCallInfo.Outcome.NOT_SENT;
    unreadable.rejection = RejectionReason.INVALID_REQUEST;
    unreadable.errorCode = PARSE_ERROR_CODE;
    unreadable.localError =
        Rpc.error(
            "null",
            PARSE_ERROR_CODE,
            "ai-gateway: the request to " + peer.name + " was not sent: " + why,
            Map.of(peer.kind == ToolCallInfo.Kind.MCP ? "server" : "agent", peer.name));
    return new Admission(localAnswer());
  }

  private void resolveCaller() {
    Caller refused = resolveConsumer();
    if (refused == null) {
      return;
    }
    for (Member member : members) {
      member.access = new AccessInfo(AccessInfo.Decision.INVALID_CREDENTIAL, null, null);
      refuse(
          member,
          ToolCallInfo.Outcome.DENIED,
          RejectionReason.INVALID_TOKEN,
          AgentGovernance.ACCESS_DENIED_CODE,
          "the caller's credential was refused: " + refused.refusal(),
          Map.of("reason", RejectionReason.INVALID_TOKEN.headerValue()));
    }
  }

  /**
   * Resolves the consumer and roles the call's events name and its checks use; returns the caller
   * when its credential was refused (the consumer is then the key's), else null.
   */
  private @Nullable Caller resolveConsumer() {
    AgentRequest view =
        new AgentRequest(
            request,
            peer.kind == ToolCallInfo.Kind.MCP ? Operation.EXECUTE_TOOL : Operation.INVOKE_AGENT,
            peer.name);
    try {
      String key = CallSettings.resolvedId(governance.consumerKey.resolve(view));
      if (key != null) {
        consumer = key;
      }
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError fatal) {
        throw fatal;
      }
      AgentGovernance.log.warn(
          "ai-gateway: consumer key resolver failed on a call to {} ({})",
          peer.name,
          e.getClass().getName());
    }
    if (governance.callers == null) {
      return null;
    }
    Caller caller;
    try {
      caller = governance.callers.resolve(view);
    } catch (RuntimeException e) {
      // The message may quote the credential: only its type is logged.
      AgentGovernance.log.warn(
          "ai-gateway: caller resolver failed on a call to {} ({}); the call is refused",
          peer.name,
          e.getClass().getName());
      caller = Caller.refused("the caller's credential or roles could not be checked");
    }
    if (caller == null) {
      return null;
    }
    if (caller.isRefused()) {
      return caller;
    }
    String id = CallSettings.resolvedId(caller.consumer());
    if (id != null) {
      consumer = id;
    }
    roles = caller.roles();
    return null;
  }

  /** Checks one request on its own; true when it is refused. */
  private boolean check(Member m) {
    if (m.outcome != ToolCallInfo.Outcome.NONE) {
      return true; // refused with its credential
    }
    String what = describe(m);
    if (m.tool == null && peer.needsToolName(m.method)) {
      m.access = new AccessInfo(AccessInfo.Decision.DENIED, NO_TOOL_NAME_RULE, null);
      refuse(
          m,
          ToolCallInfo.Outcome.DENIED,
          RejectionReason.ACCESS_DENIED,
          AgentGovernance.ACCESS_DENIED_CODE,
          what
              + " has no tool name the gateway can read (params.name is missing, not a string,"
              + " number or boolean, or also given in another case), so the access rules and tool policies cannot be checked",
          Map.of("reason", RejectionReason.ACCESS_DENIED.headerValue(), "rule", NO_TOOL_NAME_RULE));
      return true;
    }
    String accessName = peer.accessName(m.method, m.tool);
    if (accessName != null) {
      ToolAccess.Decision decision = peer.access(consumer, roles, accessName);
      m.access =
          new AccessInfo(
              decision.allowed() ? AccessInfo.Decision.ALLOWED : AccessInfo.Decision.DENIED,
              decision.rule(),
              null);
      if (!decision.allowed()) {
        refuse(
            m,
            ToolCallInfo.Outcome.DENIED,
            RejectionReason.ACCESS_DENIED,
            AgentGovernance.ACCESS_DENIED_CODE,
            what + " is not allowed for consumer '" + consumer + "' (rule " + decision.rule() + ")",
            Map.of("reason", RejectionReason.ACCESS_DENIED.headerValue(), "rule", decision.rule()));
        return true;
      }
    }
    long cap = peer.maxArgumentBytes(m.toolPolicy);
    if (cap > 0 && m.argumentBytes > cap) {
      refuse(
          m,
          ToolCallInfo.Outcome.TOO_LARGE,
          RejectionReason.TOOL_ARGUMENTS_TOO_LARGE,
          AgentGovernance.TOO_LARGE_CODE,
          what + " has " + m.argumentBytes + " bytes of arguments; at most " + cap + " are allowed",
          Map.of(
              "reason",
              RejectionReason.TOOL_ARGUMENTS_TOO_LARGE.headerValue(),
              "maxArgumentBytes",
              cap,
              "argumentBytes",
              m.argumentBytes));
      return true;
    }
    List<ContentSafety> checks = peer.checks(m.toolPolicy);
    if (!checks.isEmpty()) {
      JsonNode params = m.message.node().get("params");
      List<String> texts;
      if (m.tool != null && params != null && params.has("arguments")) {
        // The arguments, and any member naming them in another case ("Arguments"), which Go's
        // JSON decoder may run the tool with instead.
        texts = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = params.fields(); fields.hasNext(); ) {
          Map.Entry<String, JsonNode> field = fields.next();
          if ("arguments".equalsIgnoreCase(field.getKey())) {
            texts.addAll(Rpc.strings(field.getValue()));
          }
        }
      } else {
        texts = Rpc.strings(params);
      }
      for (ContentSafety safety : checks) {
        ContentSafety.Finding finding = safety.screen(ContentCheck.Where.PROMPT, texts);
        if (finding != null) {
          blocked(m, what + "'s arguments", finding, false);
          return true;
        }
      }
      m.safety = PASSED;
    }
    return false;
  }

  private void blocked(Member m, String what, ContentSafety.Finding finding, boolean result) {
    m.safety =
        new SafetyInfo(
            finding.unavailable()
                ? SafetyOutcome.CHECK_FAILED_CLOSED
                : result ? SafetyOutcome.ANSWER_BLOCKED : SafetyOutcome.BLOCKED,
            finding.check(),
            finding.category(),
            0,
            null);
    refuse(
        m,
        ToolCallInfo.Outcome.BLOCKED,
        finding.unavailable()
            ? RejectionReason.CONTENT_CHECK_UNAVAILABLE
            : RejectionReason.CONTENT_BLOCKED,
        AgentGovernance.CONTENT_BLOCKED_CODE,
        finding.unavailable()
            ? what
                + " could not be checked (check "
                + finding.check()
                + ": "
                + finding.category()
                + ")"
            : what
                + " were blocked by the content check "
                + finding.check()
                + " ("
                + finding.category()
                + ")",
        Map.of(
            "reason",
            (finding.unavailable()
                    ? RejectionReason.CONTENT_CHECK_UNAVAILABLE
                    : RejectionReason.CONTENT_BLOCKED)
                .headerValue(),
            "check",
            finding.check(),
            "category",
            finding.category()));
  }

  /** Reserves every counter of every request at once; true when refused. */
  private boolean reserve() {
    String key = peer.perConsumer ? consumer : "*";
    // One charge per counter: a rate is charged once per request, an in-flight cap holds one slot
    // for the whole POST.
    Map<LimitSpec, Integer> amounts = new LinkedHashMap<>();
    for (Member m : members) {
      addCharges(amounts, peer.specs);
      List<LimitSpec> toolSpecs = m.tool == null ? null : peer.toolSpecs.get(m.tool);
      if (toolSpecs != null) {
        addCharges(amounts, toolSpecs);
      }
    }
    if (amounts.isEmpty()) {
      return false;
    }
    List<LimitCharge> charges = new ArrayList<>(amounts.size());
    Map<String, String> keys = new LinkedHashMap<>();
    amounts.forEach(
        (spec, amount) -> {
          charges.add(new LimitCharge(spec, key, amount));
          keys.put(spec.id(), key);
        });
    counterKeys = keys;
    CallCounters.Taken result =
        governance.counters.reserve(charges, governance.callIds.getAsLong());
    taken = result;
    if (result.admitted() || (result.rejectedBy() == null && !result.storeUnavailable())) {
      return false;
    }
    long retryAfter = retrySeconds(result.retryAfter());
    if (result.storeUnavailable()) {
      for (Member m : members) {
        m.rejectedLimit = null;
        refuse(
            m,
            ToolCallInfo.Outcome.LIMITED,
            RejectionReason.TOKEN_STORE_UNAVAILABLE,
            AgentGovernance.UNAVAILABLE_CODE,
            "the gateway's limit store is unavailable; retry after " + retryAfter + " s",
            Map.of(
                "reason",
                RejectionReason.TOKEN_STORE_UNAVAILABLE.headerValue(),
                "retryAfter",
                retryAfter));
      }
      return true;
    }
    LimitSpec spec = result.rejectedBy().limit();
    boolean inFlight = spec.kind() == LimitSpec.Kind.IN_FLIGHT;
    RejectionReason reason =
        inFlight ? RejectionReason.IN_FLIGHT_LIMIT : RejectionReason.REQUEST_RATE_LIMIT;
    for (Member m : members) {
      boolean owns =
          peer.specs.contains(spec)
              || (m.tool != null && peer.toolSpecs.getOrDefault(m.tool, List.of()).contains(spec));
      if (!owns) {
        continue;
      }
      m.rejectedLimit = spec.id();
      refuse(
          m,
          ToolCallInfo.Outcome.LIMITED,
          reason,
          AgentGovernance.LIMITED_CODE,
          describe(m)
              + (inFlight
                  ? " has " + spec.capacity() + " calls in flight already (limit " + spec.id() + ")"
                  : " is over its limit of "
                      + spec.capacity()
                      + " calls per minute (limit "
                      + spec.id()
                      + ")")
              + "; retry after "
              + retryAfter
              + " s",
          Map.of("reason", reason.headerValue(), "limit", spec.id(), "retryAfter", retryAfter));
    }
    return true;
  }

  /**
   * The limits part of a request's event: what its reservation charged it (a request on each rate,
   * kept once sent; a slot of each in-flight cap, freed at the end) when the limits charged the
   * call, else nothing.
   */
  private LimitsInfo limitsInfo(Member m, LimitOutcome outcome) {
    long requests = 0;
    int slots = 0;
    if (outcome == LimitOutcome.SETTLED || outcome == LimitOutcome.FALLBACK_SETTLED) {
      List<LimitSpec> toolSpecs = m.tool == null ? null : peer.toolSpecs.get(m.tool);
      for (List<LimitSpec> specs :
          toolSpecs == null ? List.of(peer.specs) : List.of(peer.specs, toolSpecs)) {
        for (LimitSpec spec : specs) {
          if (spec.kind() == LimitSpec.Kind.IN_FLIGHT) {
            slots++;
          } else if (spec.unit() == LimitSpec.Unit.REQUESTS) {
            requests = 1;
          }
        }
      }
    }
    return new LimitsInfo(counterKeys, 0, 0, m.rejectedLimit, outcome, requests, requests, slots);
  }

  private static void addCharges(Map<LimitSpec, Integer> amounts, List<LimitSpec> specs) {
    for (LimitSpec spec : specs) {
      amounts.merge(spec, 1, (a, b) -> spec.kind() == LimitSpec.Kind.IN_FLIGHT ? 1 : a + b);
    }
  }

  private static long retrySeconds(@Nullable Duration wait) {
    if (wait == null) {
      return 1;
    }
    long seconds = wait.getSeconds() + (wait.getNano() > 0 ? 1 : 0);
    return Math.max(1, seconds);
  }

  private String describe(Member m) {
    if (peer.kind == ToolCallInfo.Kind.MCP) {
      return m.tool != null
          ? "tool '" + m.tool + "' of MCP server '" + peer.name + "'"
          : "method '" + m.method + "' of MCP server '" + peer.name + "'";
    }
    return "method '" + m.method + "' of A2A agent '" + peer.name + "'";
  }

  private void refuse(
      Member m,
      ToolCallInfo.Outcome outcome,
      RejectionReason reason,
      int code,
      String message,
      Map<String, Object> data) {
    m.outcome = outcome;
    m.rejection = reason;
    m.errorCode = code;
    Map<String, Object> full = new LinkedHashMap<>(data);
    full.put(peer.kind == ToolCallInfo.Kind.MCP ? "server" : "agent", peer.name);
    if (m.tool != null) {
      full.put("tool", m.tool);
    }
    full.put("method", m.method);
    m.localError = Rpc.error(m.id, code, "ai-gateway: " + message, full);
  }

  /** Answers every request locally and ends their events. */
  private byte[] localAnswer() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    boolean batch = document.batch();
    if (batch) {
      out.write('[');
    }
    boolean first = true;
    for (Member m : members) {
      if (m.outcome == ToolCallInfo.Outcome.NONE) {
        refuse(
            m,
            ToolCallInfo.Outcome.NOT_SENT,
            RejectionReason.BATCH_MEMBER_REFUSED,
            AgentGovernance.NOT_SENT_CODE,
            describe(m) + " was not sent: another request of its batch was refused; send it alone",
            Map.of("reason", RejectionReason.BATCH_MEMBER_REFUSED.headerValue()));
      }
      if (!first) {
        out.write(',');
      }
      first = false;
      out.writeBytes(m.localError);
      m.resultBytes = errorBytes(m.localError);
    }
    if (batch) {
      out.write(']');
    }
    for (Member m : members) {
      end(m, m.outcome, CallOutcome.REJECTED, 200);
    }
    return out.toByteArray();
  }

  private static long errorBytes(byte[] response) {
    // {"jsonrpc":"2.0","id":...,"error":{...}}: the error object is what the size counts.
    String text = new String(response, StandardCharsets.UTF_8);
    int at = text.indexOf("\"error\":");
    return at < 0 ? response.length : response.length - at - "\"error\":".length() - 1;
  }

  /**
   * The server's answer as the application is to read it. A non-2xx status ends every request's
   * event at once ({@code HTTP_ERROR}) and the body passes untouched; otherwise the body is read as
   * it passes (an event stream event by event; a JSON answer whole), each request's event ending
   * with its response (a streamed A2A answer's with the stream).
   *
   * @param sessionId the answer's {@code Mcp-Session-Id}, if any
   */
  public InputStream answered(
      int status, @Nullable String contentType, @Nullable String sessionId, InputStream body) {
    return answered(status, contentType, null, sessionId, body);
  }

  /**
   * As {@link #answered(int, String, String, InputStream)}, for a body that may still be in a
   * {@code Content-Encoding} (one the client did not inflate: {@code br} or {@code deflate}, say).
   * Such a body is not read: when a request of the POST has an answer to filter or check, it cannot
   * pass unfiltered or unchecked, so the application's first read throws an {@link IOException}
   * naming the server or agent and the encoding, those requests end {@code BLOCKED} (rejection
   * {@code content-check-unavailable}, call outcome {@code TRUNCATED}) and the others {@code
   * TRANSPORT_ERROR}; else it passes as it came, and its requests end {@code OK} at its end without
   * their codes or sizes, as for a JSON answer too large to read.
   *
   * @param contentEncoding the answer's {@code Content-Encoding}, or null when it has none
   * @param sessionId the answer's {@code Mcp-Session-Id}, if any
   */
  public InputStream answered(
      int status,
      @Nullable String contentType,
      @Nullable String contentEncoding,
      @Nullable String sessionId,
      InputStream body) {
    if (this.sessionId == null) {
      this.sessionId = sessionId;
    }
    endClientAnswers(status);
    if (listen) {
      return listened(status, contentType, contentEncoding, body);
    }
    if (members.isEmpty()
        && (contentType == null || !checksServerExchanges() || status < 200 || status > 299)) {
      // No request of its own: nothing to end. The answer to a POST of notifications or answers
      // (202, no body) is read only when it has a body that may hold server requests to check
      // (clients read such an answer's messages, whatever the server was to send).
      return body;
    }
    if (status < 200 || status > 299) {
      synchronized (this) {
        for (Member m : members) {
          end(m, ToolCallInfo.Outcome.HTTP_ERROR, CallOutcome.BACKEND_ERROR, status);
        }
        settle();
      }
      return body;
    }
    this.status = status;
    this.answerType = contentType;
    String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
    boolean sse = type.startsWith("text/event-stream");
    if (sse && peer.kind == ToolCallInfo.Kind.A2A) {
      // An agent answers with an event stream only a request whose every event carries its id
      // (message/stream, SendStreamingMessage, or a method a later A2A names so): each event is
      // read and checked, and the request ends with the stream, not with its first event.
      synchronized (this) {
        for (Member m : members) {
          m.streaming = true;
        }
      }
    }
    boolean rewrites = checksServerExchanges(); // a server request in it may be replaced
    for (Member m : members) {
      rewrites |= rewritesAnswer(m);
    }
    String encoding = contentEncoding == null ? "" : contentEncoding.trim();
    boolean encoded = !encoding.isEmpty() && !"identity".equalsIgnoreCase(encoding);
    return new AnswerStream(
        body,
        new Answer(),
        sse,
        rewrites,
        encoded ? "Content-Encoding '" + encoding + "', which the gateway does not read" : null);
  }

  /**
   * The body of an MCP GET stream's answer as the application is to read it: a 2xx answer is read
   * as a POST's is (event by event, never held whole), each response in it filtered (a result
   * holding a {@code tools} array, which may be a replayed {@code tools/list}) and checked (by the
   * server's checks and every tool's, since the request it answers is not known) and ending in its
   * own event; server requests and notifications pass as on a POST's stream.
   */
  private InputStream listened(
      int status,
      @Nullable String contentType,
      @Nullable String contentEncoding,
      InputStream body) {
    if (status < 200 || status > 299 || !listenRewrites()) {
      return body; // nothing on it could be changed: passed as it comes
    }
    synchronized (this) {
      // Whose access filters the lists. A refused credential names no caller: the lists show only
      // what anyone may call, whatever consumer the request's key claims.
      if (resolveConsumer() != null) {
        consumer = CallSettings.ANONYMOUS;
        roles = Set.of();
      }
    }
    this.status = status;
    this.answerType = contentType;
    String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
    String encoding = contentEncoding == null ? "" : contentEncoding.trim();
    boolean encoded = !encoding.isEmpty() && !"identity".equalsIgnoreCase(encoding);
    return new AnswerStream(
        body,
        new Answer(),
        type.startsWith("text/event-stream"),
        true,
        encoded ? "Content-Encoding '" + encoding + "', which the gateway does not read" : null);
  }

  /** Whether a response on an MCP GET stream may be changed: some list filtered or check run. */
  private boolean listenRewrites() {
    return peer.filtersToolsList() || !peer.anyChecks().isEmpty();
  }

  /** Whether a request's answer may be changed: a filtered tool list, a checked result. */
  private boolean rewritesAnswer(Member m) {
    return ("tools/list".equals(m.method) && peer.filtersToolsList())
        || !peer.checks(m.toolPolicy).isEmpty();
  }

  /**
   * Reports the status the server answered the {@link Admission#body()} of a POST answered locally
   * with (the messages of it that get no answer, sent on their own): the client's answers in it end
   * their events so. The server's answer is not the application's (it gets the local one).
   */
  public void sentAlone(int status) {
    endClientAnswers(status);
  }

  /** Reports a send that failed: every request's event ends {@code TRANSPORT_ERROR}. */
  public synchronized void failed(IOException failure) {
    endClientAnswers(0);
    for (Member m : members) {
      end(m, ToolCallInfo.Outcome.TRANSPORT_ERROR, CallOutcome.FAILED, 0);
    }
    settle();
  }

  /** What the answer's stream tells the call, kept off the call's public face. */
  private final class Answer implements AnswerStream.Reader {
    @Override
    public byte[] event(byte[] event) {
      return onEvent(event);
    }

    @Override
    public byte[] document(byte @Nullable [] doc, boolean held) {
      return onDocument(doc);
    }

    @Override
    public @Nullable IOException oversized(String what) {
      return onOversized(what);
    }

    @Override
    public @Nullable IOException unreadable(String what) {
      return onUnreadable(what);
    }

    @Override
    public @Nullable IOException refuses(byte[] document) {
      return onHeld(document);
    }

    @Override
    public IOException failed(Throwable failure) {
      return onFailed(failure);
    }

    @Override
    public void ended(boolean complete, @Nullable IOException failure) {
      onEnded(complete, failure);
    }
  }

  /**
   * Reading the answer failed in the gateway (a result check of the application's that threw or
   * overflowed its stack): the requests not ended yet end as for a failed read, their events naming
   * the failure's type; the application's read throws the returned exception.
   */
  private synchronized IOException onFailed(Throwable failure) {
    for (Member m : members) {
      if (!m.ended) {
        m.errorType = failure.getClass().getName();
      }
    }
    return new IOException(
        "ai-gateway: the answer of "
            + (peer.kind == ToolCallInfo.Kind.MCP ? "MCP server '" : "A2A agent '")
            + peer.name
            + "' could not be read: "
            + failure.getClass().getName(),
        failure);
  }

  /**
   * An event or JSON answer too large to read: passed on unread when no request left may have its
   * answer rewritten; else those requests end {@code BLOCKED} (their answer could not be checked or
   * filtered) and the answer fails, its other requests ending as a failed read does.
   */
  private @Nullable IOException onOversized(String what) {
    return notReadable(
        "has " + what + ", which the gateway does not read",
        "it has " + what + ", too large to be checked or filtered, so it is not passed on");
  }

  /**
   * An answer the gateway cannot read at all (in a {@code Content-Encoding} it does not inflate):
   * as {@link #onOversized}, passed on unread only when no request may have its answer rewritten.
   */
  private @Nullable IOException onUnreadable(String what) {
    return onUnreadable(
        what, "leave Accept-Encoding to the HTTP client, which asks for gzip and inflates it");
  }

  /** As {@link #onUnreadable(String)}, with the advice the application's exception ends with. */
  private @Nullable IOException onUnreadable(String what, String advice) {
    return notReadable(
        "is sent with " + what,
        "it is sent with "
            + what
            + ", so it could not be checked or filtered and is not passed on ("
            + advice
            + ")");
  }

  /**
   * An answer, or part of one, the gateway cannot read: null to pass it on unread when no request
   * left may have its answer rewritten; else those requests end {@code BLOCKED} and the failure to
   * end the answer with is returned.
   *
   * @param why what the answer has, after "'s answer " in the events' error message
   * @param cut why the answer was cut, after "was cut: " in the application's exception
   */
  private synchronized @Nullable IOException notReadable(String why, String cut) {
    return notReadable(why, cut, true);
  }

  /**
   * As {@link #notReadable(String, String)}; {@code mayHideServerRequest} says whether what cannot
   * be read may hold a request the server sends the client (an event, a JSON answer), which must
   * not pass unchecked while such requests are checked, whether or not a request of the call waits.
   */
  private synchronized @Nullable IOException notReadable(
      String why, String cut, boolean mayHideServerRequest) {
    boolean mustRead = listen && listenRewrites(); // a GET stream's responses are read too
    mustRead |= mayHideServerRequest && checksServerExchanges();
    for (Member m : members) {
      if (!m.ended && rewritesAnswer(m)) {
        mustRead = true;
        refuse(
            m,
            ToolCallInfo.Outcome.BLOCKED,
            RejectionReason.CONTENT_CHECK_UNAVAILABLE,
            AgentGovernance.CONTENT_BLOCKED_CODE,
            describe(m) + "'s answer " + why + ", so it could not be checked",
            Map.of("reason", RejectionReason.CONTENT_CHECK_UNAVAILABLE.headerValue()));
        end(m, ToolCallInfo.Outcome.BLOCKED, CallOutcome.TRUNCATED, status);
      }
    }
    if (!mustRead) {
      return null;
    }
    return new IOException(
        "ai-gateway: the answer of "
            + (peer.kind == ToolCallInfo.Kind.MCP ? "MCP server '" : "A2A agent '")
            + peer.name
            + "' was cut: "
            + cut);
  }

  private synchronized byte[] onEvent(byte[] event) {
    // The data lines, joined by LF, are one JSON-RPC message (or batch).
    String text = new String(event, StandardCharsets.UTF_8);
    String[] lines = text.split("\r\n|\r|\n", -1);
    StringBuilder data = null;
    for (String line : lines) {
      if (line.startsWith("data:")) {
        String value = line.substring(line.startsWith("data: ") ? 6 : 5);
        if (data == null) {
          data = new StringBuilder(value);
        } else {
          data.append('\n').append(value);
        }
      }
    }
    if (data == null) {
      return event;
    }
    byte[] json = data.toString().getBytes(StandardCharsets.UTF_8);
    byte[] rewritten = responses(json);
    if (rewritten == json) {
      return event;
    }
    // Rebuilt: the event's other lines as they were, the data lines in place of the first (one
    // per line of the rewritten text, which keeps the line feeds the data lines were joined by).
    StringBuilder out = new StringBuilder(text.length());
    boolean wrote = false;
    for (int i = 0; i < lines.length - 2; i++) {
      String line = lines[i];
      if (line.startsWith("data:")) {
        if (!wrote) {
          for (String value : new String(rewritten, StandardCharsets.UTF_8).split("\n", -1)) {
            out.append("data: ").append(value).append('\n');
          }
          wrote = true;
        }
      } else {
        out.append(line).append('\n');
      }
    }
    out.append('\n');
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * A held JSON answer (one to filter or check) that reads differently in its {@code
   * Content-Type}'s charset and as JSON is read, where either reading is JSON-RPC: clients read it
   * either way (fetch's {@code Response.json()}, Go and Python as JSON is read), so what a client
   * reads cannot be filtered or checked for sure, and it is not passed on.
   */
  private @Nullable IOException onHeld(byte[] doc) {
    byte[] declared = Rpc.utf8(doc, answerType);
    byte[] asJson = Rpc.utf8(doc, null);
    if (Arrays.equals(declared, asJson)
        || !readsTwoWays(
            declared, Rpc.parse(declared, new Rpc.Span(0, declared.length)) != null, asJson)) {
      return null;
    }
    return onUnreadable(
        "a charset in its Content-Type that its bytes do not read as (they read otherwise as JSON"
            + " is read, as many clients read it)",
        "the server is to send JSON in UTF-8, or name the charset it is in");
  }

  /**
   * Whether a JSON-RPC body reads differently in the charset its {@code Content-Type} names ({@code
   * declared}) and as JSON is read whatever the header says ({@code asJson}: UTF-8, or the UTF-16
   * or UTF-32 its first bytes show), where either reading is JSON-RPC: servers and clients read it
   * either way (servlets and Express by the header; Go's encoding/json, Python's json.loads on
   * bytes and fetch's json() as JSON), so what the other side reads is not known for sure.
   *
   * @param declaredIsRpc whether {@code declared} parses as JSON-RPC (the caller has parsed it)
   */
  private static boolean readsTwoWays(byte[] declared, boolean declaredIsRpc, byte[] asJson) {
    return !Arrays.equals(declared, asJson)
        && (declaredIsRpc || Rpc.parse(asJson, new Rpc.Span(0, asJson.length)) != null);
  }

  private synchronized byte[] onDocument(byte @Nullable [] doc) {
    if (doc == null) {
      // Too large to read: the server answered (2xx) but what each request got is not known.
      for (Member m : members) {
        if (!m.ended && m.outcome == ToolCallInfo.Outcome.NONE) {
          m.outcome = ToolCallInfo.Outcome.OK;
        }
      }
      return new byte[0];
    }
    // JSON in another charset (UTF-16, as its Content-Type or first bytes say, which clients
    // read) is read as UTF-8 and, when rewritten, passed on in its own charset again.
    Charset charset = Rpc.charset(doc, answerType);
    if (charset == null) {
      return responses(doc);
    }
    byte[] utf8 = new String(doc, charset).getBytes(StandardCharsets.UTF_8);
    byte[] pass = responses(utf8);
    return pass == utf8 ? doc : new String(pass, StandardCharsets.UTF_8).getBytes(charset);
  }

  /**
   * Reads the responses in a JSON text (one or a batch), ends their requests' events, and returns
   * the text to pass on: the same array when nothing changed.
   */
  private byte[] responses(byte[] json) {
    Rpc.Document answers = Rpc.parse(json, new Rpc.Span(0, json.length));
    if (answers == Rpc.UNREADABLE) {
      // Starts as JSON but cannot be read whole (malformed, followed by more text, beyond the
      // parser's bounds): a client reading the first value and ignoring the rest (Jackson's
      // default, as the MCP Java SDK reads) takes a result out of it, so one waiting to be checked
      // or filtered does not pass unread.
      IOException failure =
          notReadable(
              "is not JSON the gateway can read whole",
              "it is not JSON the gateway can read whole (malformed, followed by more text, or a"
                  + " number, name or nesting beyond its bounds), so it could not be checked or"
                  + " filtered and is not passed on");
      if (failure != null) {
        throw new AnswerStream.Refused(failure);
      }
      return json;
    }
    if (answers == null) {
      return json;
    }
    refuseUnmatchedResults(answers);
    ByteArrayOutputStream out = null;
    int copied = 0;
    for (Rpc.Message message : answers.messages()) {
      byte[] replacement;
      if (!message.isResponse()) {
        replacement = serverRequest(message); // a request or notification the server sends
      } else {
        Member m = listen ? listenMember(message) : answering(message);
        if (m == null) {
          continue;
        }
        replacement = response(m, json, message);
      }
      if (replacement != null) {
        if (out == null) {
          out = new ByteArrayOutputStream(json.length);
        }
        out.write(json, copied, message.span().start() - copied);
        out.writeBytes(replacement);
        copied = message.span().end();
      }
    }
    if (out == null) {
      return json;
    }
    out.write(json, copied, json.length - copied);
    return out.toByteArray();
  }

  /**
   * Fails the answer, before any of {@code answers} passes, when it holds a result whose id answers
   * no request of the POST (not even one already answered) while a request whose answer is filtered
   * or checked waits: clients match ids more loosely than the gateway (the MCP TypeScript SDK reads
   * an answer's id as {@code Number(id)}, so {@code "1"}, {@code "0x1"} and {@code "1.0"} answer
   * request 1), so that result may be taken as the waiting request's, unfiltered and unchecked.
   * Those requests end {@code BLOCKED}; the answer fails with an {@link IOException}.
   */
  private void refuseUnmatchedResults(Rpc.Document answers) {
    if (listen) {
      return; // a GET stream answers no request of its own: each response is read as it is
    }
    boolean idlessWaits = false;
    for (Member m : members) {
      idlessWaits |= m.idless && !m.ended;
    }
    for (Rpc.Message message : answers.messages()) {
      if (!message.isResponse() || !message.members().containsKey("result")) {
        continue;
      }
      String key = message.idKey();
      if (byId.containsKey(key) || ("null".equals(key) && idlessWaits)) {
        continue;
      }
      IOException failure =
          notReadable(
              "holds a result whose id answers no request of the call",
              "it holds a result whose id answers no request of the call, which a client matching"
                  + " ids loosely may take as the answer of a request whose answer is filtered or"
                  + " checked",
              false);
      if (failure != null) {
        throw new AnswerStream.Refused(failure);
      }
      return; // nothing waits to be checked or filtered: passed as it came
    }
  }

  /**
   * A response on an MCP GET stream as a request of its own, ended by {@link #response}: the method
   * and tool it answers are not known (its request went on an earlier POST).
   */
  private Member listenMember(Rpc.Message message) {
    String id = message.id();
    AgentGovernance.Asked asked = governance.recall(false, peer.name, sessionId, message.idKey());
    return asked == null
        ? new Member(message, id == null ? "null" : id, "", peer)
        : new Member(message, id == null ? "null" : id, asked.method(), asked.tool(), peer);
  }

  /**
   * The request of the POST a response answers, or null when it answers none. A response whose
   * request was answered already (JSON-RPC answers a request once; an A2A stream's updates all
   * answer its one request, which ends only with the stream) is a repeat: a client reading every
   * message, or keeping the last answer of an id, reads it as the answer. It is read as a member of
   * its own, with its request's method, tool and checks, so it is filtered and checked as the first
   * answer was and ends in an event of its own, charged nothing.
   */
  private @Nullable Member answering(Rpc.Message message) {
    String key = message.idKey();
    Member m = byId.get(key);
    if ((m == null || m.ended) && "null".equals(key)) {
      // An answer to a message sent without an id, in their order; after the last, a repeat.
      Member idless = nextIdless();
      if (idless != null) {
        return idless;
      }
      if (m == null) {
        m = lastIdless();
      }
    }
    if (m == null || !m.ended) {
      return m;
    }
    String id = message.id();
    Member repeat = new Member(message, id == null ? "null" : id, m.method, m.tool, peer);
    repeat.uncharged = true;
    repeat.streaming = false;
    return repeat;
  }

  /** The last message sent without an id, or null when there is none. */
  private @Nullable Member lastIdless() {
    Member last = null;
    for (Member m : members) {
      if (m.idless) {
        last = m;
      }
    }
    return last;
  }

  /** The first message sent without an id (A2A, or MCP not a notification) not ended, or null. */
  private @Nullable Member nextIdless() {
    for (Member m : members) {
      if (m.idless && !m.ended) {
        return m;
      }
    }
    return null;
  }

  /** One response to a request; returns its replacement, or null to pass it as it is. */
  private byte @Nullable [] response(Member m, byte[] json, Rpc.Message message) {
    byte[] replacement = null;
    JsonNode node = message.node();
    Rpc.Span result = message.members().get("result");
    Rpc.Span error = message.members().get("error");
    if (error != null) {
      JsonNode code = node.path("error").path("code");
      m.errorCode = code.canConvertToInt() ? code.intValue() : null;
      m.outcome = ToolCallInfo.Outcome.ERROR;
      m.resultBytes += error.length();
    } else if (result != null) {
      m.sawResult = true;
      if (m.outcome == ToolCallInfo.Outcome.NONE) {
        m.outcome = ToolCallInfo.Outcome.OK;
      }
      // On a GET stream, any result holding a tools array may be a replayed tools/list.
      if ((listen || "tools/list".equals(m.method)) && peer.kind == ToolCallInfo.Kind.MCP) {
        JsonNode tools = node.path("result").path("tools");
        if (tools.isArray()) {
          governance.inventory().toolsListed(peer.name, AgentInventory.list(tools));
          if (peer.filtersToolsList()) {
            replacement = filteredTools(json, message, result);
          }
        }
      }
      List<ContentSafety> checks = listen ? peer.anyChecks() : peer.checks(m.toolPolicy);
      for (ContentSafety safety : checks) {
        ContentSafety.Finding finding =
            safety.screen(ContentCheck.Where.ANSWER, Rpc.strings(node.get("result")));
        if (finding != null) {
          blocked(m, describe(m) + "'s result", finding, true);
          m.outcome = ToolCallInfo.Outcome.BLOCKED;
          replacement = m.localError;
          break;
        }
      }
      if (!checks.isEmpty() && replacement != m.localError) {
        m.safety = PASSED; // the arguments, if checked, passed too: the call was sent
      }
      m.resultBytes += replacement == null ? result.length() : replacement.length;
    }
    if (!m.streaming) {
      end(m, m.outcome, CallOutcome.SUCCESS, status);
    }
    return replacement;
  }

  /** The response with {@code result.tools} holding only the tools the caller may call. */
  private byte @Nullable [] filteredTools(byte[] json, Rpc.Message message, Rpc.Span result) {
    try {
      Rpc.Span tools = Rpc.members(json, result).get("tools");
      if (tools == null) {
        return null;
      }
      List<Rpc.Span> elements = Rpc.elements(json, tools);
      ByteArrayOutputStream array = new ByteArrayOutputStream(tools.length());
      array.write('[');
      boolean first = true;
      int kept = 0;
      for (Rpc.Span element : elements) {
        JsonNode tool =
            dev.aigateway.core.wire.Json.parseOrNull(json, element.start(), element.length());
        String name = tool == null ? null : tool.path("name").textValue();
        if (name == null || !everyNameAllowed(tool)) {
          continue;
        }
        if (!first) {
          array.write(',');
        }
        first = false;
        array.write(json, element.start(), element.length());
        kept++;
      }
      array.write(']');
      if (kept == elements.size()) {
        return null;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(message.span().length());
      out.write(json, message.span().start(), tools.start() - message.span().start());
      out.writeBytes(array.toByteArray());
      out.write(json, tools.end(), message.span().end() - tools.end());
      return out.toByteArray();
    } catch (IOException e) {
      return null; // not readable after all: passed as it is
    }
  }

  /**
   * Whether the caller may call the listed tool by each of its names: its {@code name} and any
   * member named so in another case ({@code "Name"}), which Go's JSON decoder reads as the name
   * (the last one winning), so a client decoding that way may see another tool than {@code name}.
   * An entry with a name the caller may not call, or one that is not a string, is left out.
   */
  private boolean everyNameAllowed(JsonNode tool) {
    for (Map.Entry<String, JsonNode> member : tool.properties()) {
      if (!member.getKey().equalsIgnoreCase("name")) {
        continue;
      }
      String name = member.getValue().textValue();
      if (name == null || !peer.access.check(consumer, roles, name).allowed()) {
        return false;
      }
    }
    return true;
  }

  private synchronized void onEnded(boolean complete, @Nullable IOException failure) {
    for (Member m : members) {
      if (m.ended) {
        continue;
      }
      if (failure != null) {
        end(m, ToolCallInfo.Outcome.TRANSPORT_ERROR, CallOutcome.TRUNCATED, status);
      } else if (!complete
          || (m.outcome == ToolCallInfo.Outcome.NONE
              && !listen
              && !m.idless
              && governance.wasCancelled(peer.name, sessionId, m.key))) {
        // Closed by the application, or cancelled by the client (notifications/cancelled), after
        // which the server sends no response.
        end(m, ToolCallInfo.Outcome.CANCELLED, CallOutcome.CANCELLED, status);
      } else if (m.outcome == ToolCallInfo.Outcome.NONE) {
        end(m, ToolCallInfo.Outcome.NO_RESPONSE, CallOutcome.TRUNCATED, status);
      } else {
        end(m, m.outcome, CallOutcome.SUCCESS, status);
      }
    }
    settle();
  }

  private void end(
      Member m, ToolCallInfo.Outcome outcome, CallOutcome callOutcome, int httpStatus) {
    if (m.ended) {
      return;
    }
    m.ended = true;
    m.outcome = outcome;
    if (!listen
        && !m.uncharged
        && !m.idless
        && peer.kind == ToolCallInfo.Kind.MCP
        && (outcome == ToolCallInfo.Outcome.TRANSPORT_ERROR
            || outcome == ToolCallInfo.Outcome.CANCELLED
            || outcome == ToolCallInfo.Outcome.NO_RESPONSE)) {
      // Sent, its response not seen: a server may replay it on a GET stream resumed with
      // Last-Event-ID, whose event then names what it answers.
      governance.remember(false, peer.name, sessionId, m.key, m.method, m.tool);
    }
    long latency = System.nanoTime() - startNanos;
    boolean rejected = callOutcome == CallOutcome.REJECTED || m.errorType != null;
    LimitOutcome limitOutcome =
        taken == null
            ? LimitOutcome.NONE
            : rejected && m.rejectedLimit == null ? LimitOutcome.NONE : taken.outcome();
    GatewayEvent event =
        GatewayEvent.builder()
            .callId(governance.callIds.getAsLong())
            .operation(
                peer.kind == ToolCallInfo.Kind.MCP
                    ? Operation.EXECUTE_TOOL
                    : Operation.INVOKE_AGENT)
            .consumer(consumer)
            .requestedModel(peer.name)
            .stream(m.streaming)
            .status(httpStatus)
            .outcome(callOutcome)
            .rejection(m.rejection)
            .errorType(
                m.errorType != null
                    ? m.errorType
                    : outcome == ToolCallInfo.Outcome.TRANSPORT_ERROR ? "transport" : null)
            .access(m.access)
            .safety(m.safety)
            .limits(taken == null || m.uncharged ? LimitsInfo.NONE : limitsInfo(m, limitOutcome))
            .timing(
                new TimingInfo(
                    startedAt, Duration.ofNanos(latency), null, Duration.ofNanos(gatewayNanos)))
            .tool(
                new ToolCallInfo(
                    peer.kind,
                    peer.name,
                    peer.kind == ToolCallInfo.Kind.A2A
                        ? governance.inventory().agentName(peer.name)
                        : null,
                    m.method,
                    m.tool,
                    m.id,
                    sessionId,
                    outcome,
                    m.errorCode,
                    m.argumentBytes,
                    m.resultBytes))
            .build();
    governance.emit(event);
    boolean all = true;
    for (Member other : members) {
      all &= other.ended;
    }
    if (all) {
      settle();
    }
  }

  private void settle() {
    settle(true);
  }

  /**
   * Settles the reservation once: a sent call keeps its requests on each rate ({@code sent}), one
   * not sent has them refunded; in-flight slots are freed either way.
   */
  private void settle(boolean sent) {
    if (settled || taken == null) {
      return;
    }
    settled = true;
    if (taken.admitted()) {
      governance.counters.settle(taken, sent, 0);
    }
  }
}
