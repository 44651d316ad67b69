/**
 * The OTLP http/protobuf exporters keep their connections alive between exports, and their transport's
 * `shutdown()` leaves the agent as it is: after the pipeline shuts down, idle sockets to the collector stay
 * open until the collector closes them. Restarted many times in one process (tests, hot reload), that is one
 * more pair of open sockets per cycle. So the pipeline hands each exporter an agent it owns, and destroys it
 * once the exporter has shut down.
 */
import type { Agent } from 'node:http';
import type { ExporterLike } from './resilient-exporter.js';

/** The OTLP exporters' `httpAgentOptions` factory shape. */
export type AgentFactory = (protocol: string) => Promise<Agent>;

/**
 * Builds an exporter with an agent factory of its own (`make(factory)`), and returns it wrapped so that its
 * shutdown also destroys the agents the factory made.
 */
export function withOwnedAgents<T>(make: (agentFactory: AgentFactory) => ExporterLike<T>): ExporterLike<T> {
  const agents: Agent[] = [];
  // Loaded when the first export needs it, as the SDK's own factory does, so that the HTTP instrumentation
  // (outgoing calls) sees `node:http` loaded the usual way.
  const agentFactory: AgentFactory = async (protocol) => {
    const { Agent } = protocol === 'https:' ? await import('node:https') : await import('node:http');
    const agent = new Agent({ keepAlive: true });
    agents.push(agent);
    return agent;
  };
  const inner = make(agentFactory);
  return {
    export: (items, resultCallback) => inner.export(items, resultCallback),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
    async shutdown() {
      try {
        await inner.shutdown();
      } finally {
        for (const agent of agents.splice(0)) agent.destroy();
      }
    },
  };
}
