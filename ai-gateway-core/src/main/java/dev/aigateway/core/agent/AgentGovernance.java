package dev.aigateway.core.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.CallerResolver;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.KeyResolver;
import dev.aigateway.core.inventory.InventorySection;
import dev.aigateway.core.limit.CallCounters;
import dev.aigateway.core.wire.ClientRequest;
import dev.aigateway.core.wire.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The governance of a gateway's MCP and A2A traffic, for client adapters: recognises requests to
 * configured servers and agents ({@link #match}, a host lookup for any other request, no body
 * read), starts a governed JSON-RPC POST ({@link #begin}), and remembers agent cards ({@link
 * #observeCard}). Public only so the library's adapters reach it; not part of the API (see {@code
 * docs/agents.md}). Thread-safe.
 */
public final class AgentGovernance {

  /** JSON-RPC error code of a call no access rule allows (or whose credential was refused). */
  public static final int ACCESS_DENIED_CODE = -32090;

  /** JSON-RPC error code of a call a calls-per-minute limit or in-flight cap refused. */
  public static final int LIMITED_CODE = -32091;

  /** JSON-RPC error code of a call whose arguments exceed the size cap. */
  public static final int TOO_LARGE_CODE = -32092;

  /** JSON-RPC error code of a call whose arguments or result a content check blocked. */
  public static final int CONTENT_BLOCKED_CODE = -32093;

  /** JSON-RPC error code of a batch member not sent because another member was refused. */
  public static final int NOT_SENT_CODE = -32094;

  /** JSON-RPC error code of a call refused because the limit store is down (fail closed). */
  public static final int UNAVAILABLE_CODE = -32095;

  static final Logger log = LoggerFactory.getLogger(AgentGovernance.class);

  private final Map<Endpoint, McpServer> servers = new HashMap<>();
  private final Map<Endpoint, A2aAgent> agents = new HashMap<>();
  private final Map<Endpoint, A2aAgent> cards = new HashMap<>();

  /** The agents of a card URL several agents share (agents on one origin), in their order. */
  private final Map<Endpoint, List<A2aAgent>> sharedCards = new HashMap<>();

  private final Map<String, Peer> peers = new HashMap<>();
  private final Set<String> hosts = new HashSet<>();
  private final AgentInventory inventory;
  private final List<InventorySection> inventorySections;
  final KeyResolver consumerKey;
  final @Nullable CallerResolver callers;
  final CallCounters counters;
  final List<GatewayListener> listeners;
  final Clock clock;
  final LongSupplier callIds;
  final Set<String> gatewayHeaders;

  private AgentGovernance(
      List<McpServer> mcpServers,
      List<A2aAgent> a2aAgents,
      KeyResolver consumerKey,
      @Nullable CallerResolver callers,
      CallCounters counters,
      List<GatewayListener> listeners,
      Clock clock,
      LongSupplier callIds,
      Set<String> gatewayHeaders) {
    Set<String> names = new HashSet<>();
    for (McpServer server : mcpServers) {
      unique(names, server.name(), server.endpoint());
      servers.put(server.endpoint(), server);
      peers.put("mcp:" + server.name(), new Peer(server));
      hosts.add(server.endpoint().host());
    }
    for (A2aAgent agent : a2aAgents) {
      unique(names, agent.id(), agent.endpoint());
      agents.put(agent.endpoint(), agent);
      A2aAgent before = cards.putIfAbsent(agent.cardEndpoint(), agent);
      if (before != null) {
        sharedCards.computeIfAbsent(agent.cardEndpoint(), k -> new ArrayList<>(List.of(before)));
        sharedCards.get(agent.cardEndpoint()).add(agent);
      }
      peers.put("a2a:" + agent.id(), new Peer(agent));
      hosts.add(agent.endpoint().host());
    }
    this.inventory =
        new AgentInventory(
            mcpServers.stream().map(McpServer::name).toList(),
            a2aAgents.stream().map(A2aAgent::id).toList(),
            clock);
    this.inventorySections = AgentSections.of(mcpServers, a2aAgents, inventory);
    this.consumerKey = consumerKey;
    this.callers = callers;
    this.counters = counters;
    this.listeners = List.copyOf(listeners);
    this.clock = clock;
    this.callIds = callIds;
    this.gatewayHeaders = Set.copyOf(gatewayHeaders);
  }

  private void unique(Set<String> names, String name, Endpoint endpoint) {
    if (!names.add(name)) {
      throw new IllegalArgumentException(
          "an MCP server or A2A agent named '" + name + "' was already added");
    }
    if (servers.containsKey(endpoint) || agents.containsKey(endpoint)) {
      throw new IllegalArgumentException(
          "'" + name + "' has the URL " + endpoint + " of a server or agent already added");
    }
  }

  /**
   * The governance of these servers and agents, or null when there are none.
   *
   * @param consumerKey the gateway's consumer key
   * @param callers the gateway's caller resolver (roles, proved consumer), or null
   * @param counters where calls-per-minute and in-flight counters are kept
   * @param listeners told of every call's event
   * @param callIds the gateway's call ids
   * @param gatewayHeaders request headers (lower case) that address only the gateway
   * @throws IllegalArgumentException when two have the same name or URL
   */
  public static @Nullable AgentGovernance of(
      List<McpServer> servers,
      List<A2aAgent> agents,
      KeyResolver consumerKey,
      @Nullable CallerResolver callers,
      CallCounters counters,
      List<GatewayListener> listeners,
      Clock clock,
      LongSupplier callIds,
      Set<String> gatewayHeaders) {
    if (servers.isEmpty() && agents.isEmpty()) {
      return null;
    }
    return new AgentGovernance(
        servers, agents, consumerKey, callers, counters, listeners, clock, callIds, gatewayHeaders);
  }

  /** What a matched request is. */
  public enum Kind {
    /** A POST of JSON-RPC to an MCP server or agent: {@link #begin} governs it. */
    RPC,
    /** Another method on an MCP endpoint (GET: the listen stream; DELETE: session end): passes. */
    MCP_SESSION,
    /** A GET of an agent's card: passes, and {@link #observeCard} remembers it. */
    AGENT_CARD
  }

  /** A request to a configured server or agent. */
  public static final class Target {
    private final Kind kind;
    final Peer peer;
    final @Nullable A2aAgent agent;

    /** The agents a card on this URL may be of, when several share it; else empty. */
    final List<A2aAgent> cardOf;

    Target(Kind kind, Peer peer, @Nullable A2aAgent agent) {
      this(kind, peer, agent, List.of());
    }

    Target(Kind kind, Peer peer, @Nullable A2aAgent agent, List<A2aAgent> cardOf) {
      this.kind = kind;
      this.peer = peer;
      this.agent = agent;
      this.cardOf = cardOf;
    }

    /** What the request is. */
    public Kind kind() {
      return kind;
    }

    /** The server's name or agent's id. */
    public String name() {
      return peer.name;
    }
  }

  /**
   * Whether the request goes to a configured server or agent, and as what; null for any other
   * request (one set lookup when the host is not one of theirs).
   *
   * @param port the URL's port, or -1 for the scheme's default
   */
  public @Nullable Target match(
      String method, String scheme, String host, int port, String encodedPath) {
    if (!hosts.contains(Endpoint.host(host))) {
      return null;
    }
    Endpoint endpoint = Endpoint.of(scheme, host, port, encodedPath);
    McpServer server = servers.get(endpoint);
    if (server != null) {
      Peer peer = peers.get("mcp:" + server.name());
      return new Target("POST".equals(method) ? Kind.RPC : Kind.MCP_SESSION, peer, null);
    }
    A2aAgent agent = agents.get(endpoint);
    if (agent != null && "POST".equals(method)) {
      return new Target(Kind.RPC, peers.get("a2a:" + agent.id()), agent);
    }
    A2aAgent carded = cards.get(endpoint);
    if (carded != null && "GET".equals(method)) {
      return new Target(
          Kind.AGENT_CARD,
          peers.get("a2a:" + carded.id()),
          carded,
          sharedCards.getOrDefault(endpoint, List.of()));
    }
    return null;
  }

  /** Starts governing a JSON-RPC POST ({@link Kind#RPC}); its body is in {@code request}. */
  public AgentCall begin(Target target, ClientRequest request) {
    if (target.kind != Kind.RPC) {
      throw new IllegalArgumentException("only a JSON-RPC POST is governed, not " + target.kind);
    }
    return new AgentCall(this, target.peer, request);
  }

  /**
   * Starts governing an MCP GET stream on a server's endpoint ({@link Kind#MCP_SESSION}): the
   * listen stream for server-initiated messages, or a stream resumed with {@code Last-Event-ID}, on
   * which a server replays messages of an earlier POST's stream. Its answer, given to {@link
   * AgentCall#answered}, is read as a POST's is, event by event: each response in it is filtered
   * and checked and ends in an event of its own; nothing is charged (no request is sent). Null for
   * any other request.
   *
   * @param method the request's HTTP method
   */
  public @Nullable AgentCall listen(Target target, String method, ClientRequest request) {
    if (target.kind != Kind.MCP_SESSION || !"GET".equals(method)) {
      return null;
    }
    return new AgentCall(this, target.peer, request, true);
  }

  /**
   * The body of an agent card's answer as the application reads it: passed on untouched, and, once
   * read to its end, or closed once what was read is a whole JSON value (at most {@link
   * AgentInventory#MAX_CARD_BYTES}), remembered in the {@link #inventory()}: for the agent whose
   * origin serves it, or, when several agents share that origin, for the one whose URL is the
   * card's {@code url} (for none when no agent's is).
   *
   * @param status the answer's status; only a 200 is remembered
   */
  public InputStream observeCard(Target target, int status, InputStream body) {
    return observeCard(target, status, null, body);
  }

  /**
   * As {@link #observeCard(Target, int, InputStream)}, for a body still in its {@code
   * Content-Encoding} (an application that asked for one itself gets the answer as it came): a gzip
   * card is passed on as it came and remembered inflated (at most {@link
   * AgentInventory#MAX_CARD_BYTES} inflated); a card in another encoding is passed on and not
   * remembered.
   *
   * @param status the answer's status; only a 200 is remembered
   * @param contentEncoding the answer's {@code Content-Encoding}, or null when it has none
   */
  public InputStream observeCard(
      Target target, int status, @Nullable String contentEncoding, InputStream body) {
    return observeCard(target, status, null, contentEncoding, body);
  }

  /**
   * As {@link #observeCard(Target, int, String, InputStream)}, reading the card in the charset its
   * {@code Content-Type} names, else as JSON is read (UTF-8, or the UTF-16 or UTF-32 its first
   * bytes show): the card remembered is its text whatever encoding it came in.
   *
   * @param status the answer's status; only a 200 is remembered
   * @param contentType the answer's {@code Content-Type}, or null when it has none
   * @param contentEncoding the answer's {@code Content-Encoding}, or null when it has none
   */
  public InputStream observeCard(
      Target target,
      int status,
      @Nullable String contentType,
      @Nullable String contentEncoding,
      InputStream body) {
    if (target.kind != Kind.AGENT_CARD || status != 200 || target.agent == null) {
      return body;
    }
    String encoding =
        contentEncoding == null ? "identity" : contentEncoding.trim().toLowerCase(Locale.ROOT);
    boolean gzip = encoding.equals("gzip") || encoding.equals("x-gzip");
    if (!gzip && !encoding.equals("identity") && !encoding.isEmpty()) {
      return body; // not read: nothing to remember
    }
    A2aAgent served = target.agent;
    List<A2aAgent> candidates = target.cardOf;
    return new java.io.FilterInputStream(body) {
      private final ByteArrayOutputStream copy = new ByteArrayOutputStream();
      private boolean tooLarge;
      private boolean done;

      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
          finished();
        } else if (!tooLarge) {
          keep(new byte[] {(byte) b}, 0, 1);
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
          finished();
        } else if (!tooLarge) {
          keep(b, off, n);
        }
        return n;
      }

      @Override
      public void close() throws IOException {
        try {
          super.close();
        } finally {
          // A reader that stops at the card's last byte (a JSON parser reading one value) closes
          // without reading the end: a card read whole still parses, and is remembered; a cut one
          // does not.
          finished();
        }
      }

      private void keep(byte[] b, int off, int n) {
        if (copy.size() + n > AgentInventory.MAX_CARD_BYTES) {
          tooLarge = true;
          copy.reset();
        } else {
          copy.write(b, off, n);
        }
      }

      private void finished() {
        if (!done && !tooLarge) {
          done = true;
          byte[] card = gzip ? inflated(copy.toByteArray()) : copy.toByteArray();
          if (card == null) {
            return; // not gzip after all, or larger than a card may be
          }
          // In UTF-16 or UTF-32 (named by its Content-Type, or shown by its first bytes, as JSON
          // readers take it): remembered as its text, not its bytes read as UTF-8.
          card = Rpc.utf8(card, contentType);
          A2aAgent agent = candidates.isEmpty() ? served : cardAgent(candidates, card);
          if (agent != null) {
            inventory.cardFetched(agent, card);
          }
        }
      }
    };
  }

  /** A gzip card inflated, or null when it is not gzip or inflates past the card's bound. */
  private static byte @Nullable [] inflated(byte[] compressed) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
      byte[] card = in.readNBytes(AgentInventory.MAX_CARD_BYTES + 1);
      return card.length > AgentInventory.MAX_CARD_BYTES ? null : card;
    } catch (IOException e) {
      return null;
    }
  }

  /** Of agents sharing a card URL, the one whose URL is the card's {@code url}, or null. */
  private static @Nullable A2aAgent cardAgent(List<A2aAgent> candidates, byte[] card) {
    JsonNode node = Json.parseOrNull(card, 0, card.length);
    String url = node == null ? null : node.path("url").textValue();
    if (url == null) {
      return null;
    }
    Endpoint named;
    try {
      named = Endpoint.parse(url, "the agent card's");
    } catch (IllegalArgumentException e) {
      return null;
    }
    for (A2aAgent agent : candidates) {
      if (agent.endpoint().equals(named)) {
        return agent;
      }
    }
    return null;
  }

  /** The tools and agent cards seen. */
  public AgentInventory inventory() {
    return inventory;
  }

  /**
   * The gateway inventory's {@code mcpServers} and {@code agents} sections (see {@link
   * AgentSections}), read live from the configuration and from {@link #inventory()}.
   */
  public List<InventorySection> inventorySections() {
    return inventorySections;
  }

  /** Request headers (lower case) removed before a governed call is sent. */
  public Set<String> gatewayHeaders() {
    return gatewayHeaders;
  }

  /** The most messages {@link #remember}ed at once; the eldest is forgotten first. */
  static final int MAX_REMEMBERED = 4096;

  /** The longest id or session id remembered (a longer one is not: it names no later event). */
  private static final int MAX_REMEMBERED_KEY = 256;

  /** What a message was asked for: its method, and its tool for a {@code tools/call}. */
  record Asked(String method, @Nullable String tool) {}

  /**
   * Messages whose answer may come in another exchange of the same MCP session, so the answer's
   * event can name what it answers: client requests whose POST ended without their response (a
   * server replays it on a GET stream resumed with {@code Last-Event-ID}), and requests a server
   * sent the client (answered in a later POST); and the client's requests it cancelled, whose
   * stream then ends without their response. Keyed by kind, server, session and id; bounded.
   */
  private final Map<String, Asked> remembered =
      new java.util.LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Asked> eldest) {
          return size() > MAX_REMEMBERED;
        }
      };

  /**
   * Remembers what the message {@code idKey} of {@code session} asked, for {@link #recall}.
   *
   * @param fromServer whether the server sent it (a request to the client), else the client
   */
  void remember(
      boolean fromServer,
      String server,
      @Nullable String session,
      @Nullable String idKey,
      String method,
      @Nullable String tool) {
    String key = rememberedKey(fromServer ? 's' : 'c', server, session, idKey);
    if (key != null) {
      synchronized (remembered) {
        remembered.put(key, new Asked(method, tool));
      }
    }
  }

  /** What {@link #cancelled} remembers of a cancelled request. */
  private static final Asked CANCELLED = new Asked("notifications/cancelled", null);

  /**
   * Remembers that the client cancelled its request {@code idKey} of {@code session} (it sent
   * {@code notifications/cancelled} naming it), for {@link #wasCancelled}: a server stops such a
   * request and sends no response, so its stream ends without one.
   */
  void cancelled(String server, @Nullable String session, @Nullable String idKey) {
    String key = rememberedKey('x', server, session, idKey);
    if (key != null) {
      synchronized (remembered) {
        remembered.put(key, CANCELLED);
      }
    }
  }

  /** Whether {@link #cancelled} remembered the request, forgotten now. */
  boolean wasCancelled(String server, @Nullable String session, @Nullable String idKey) {
    String key = rememberedKey('x', server, session, idKey);
    if (key == null) {
      return false;
    }
    synchronized (remembered) {
      return remembered.remove(key) != null;
    }
  }

  /** What {@link #remember} remembered of a message, forgotten now; null when nothing. */
  @Nullable Asked recall(
      boolean fromServer, String server, @Nullable String session, @Nullable String idKey) {
    String key = rememberedKey(fromServer ? 's' : 'c', server, session, idKey);
    if (key == null) {
      return null;
    }
    synchronized (remembered) {
      return remembered.remove(key);
    }
  }

  /**
   * The key of a remembered message.
   *
   * @param kind {@code s} a server request, {@code c} a client request, {@code x} a cancellation
   */
  private static @Nullable String rememberedKey(
      char kind, String server, @Nullable String session, @Nullable String idKey) {
    if (session == null
        || idKey == null
        || session.length() > MAX_REMEMBERED_KEY
        || idKey.length() > MAX_REMEMBERED_KEY) {
      return null; // without a session an id names no exchange for sure
    }
    return kind + "\u0000" + server + '\u0000' + session + '\u0000' + idKey;
  }

  void emit(GatewayEvent event) {
    for (GatewayListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException | Error e) {
        if (e instanceof VirtualMachineError) {
          throw e; // out of memory, stack overflow: not the listener's doing alone
        }
        log.warn(
            "ai-gateway: listener {} failed on the event of call {}", listener, event.callId(), e);
      }
    }
  }
}
