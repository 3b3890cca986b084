/** The simulated Microsoft Graph through the real @microsoft/microsoft-graph-client over HTTPS. */
import { Client, PageIterator, type FetchOptions, type PageCollection } from '@microsoft/microsoft-graph-client';
import { Agent } from 'undici';
import { generateLocalTls } from '../../dev/tls';
import { encodeSimToken, simClaimsFor, startSimulator, type Simulator } from '../../dev/sim';
import { GROUPS, PEOPLE } from '../../dev/tenant';

let sim: Simulator;
let dispatcher: Agent;
let graph: Client;

interface GraphObject {
  '@odata.type': string;
  id: string;
  displayName?: string;
  userPrincipalName?: string;
}

async function all(first: PageCollection): Promise<GraphObject[]> {
  const items: GraphObject[] = [];
  const it = new PageIterator(graph, first, (item: GraphObject) => {
    items.push(item);
    return true;
  });
  await it.iterate();
  return items;
}

beforeAll(async () => {
  const tls = await generateLocalTls();
  sim = await startSimulator({ tls });
  dispatcher = new Agent({ connect: { ca: tls.cert } });
  graph = Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => encodeSimToken(simClaimsFor(PEOPLE.accessManager)) },
    baseUrl: sim.url + '/',
    customHosts: new Set(['localhost']),
    // Node's fetch takes undici's `dispatcher`, which the client's FetchOptions type does not declare.
    fetchOptions: { dispatcher } as FetchOptions,
  });
});

afterAll(async () => {
  await sim.stop();
  await dispatcher.close();
});

beforeEach(() => {
  sim.knobs.graphPageSize = 100;
  sim.knobs.graphFailureRate = 0;
});

describe('users', () => {
  it('gets a user by id and by UPN, and finds one by userPrincipalName filter', async () => {
    const byId = (await graph.api(`/users/${PEOPLE.alice}`).get()) as GraphObject & { mail: string };
    expect(byId).toMatchObject({ id: PEOPLE.alice, userPrincipalName: 'alice@contoso.test', mail: 'alice@contoso.test' });
    const byUpn = (await graph.api('/users/bob@contoso.test').select('id,displayName').get()) as Record<string, unknown>;
    expect(byUpn.id).toBe(PEOPLE.bob);
    expect(byUpn.userPrincipalName).toBeUndefined();
    const found = (await graph.api('/users').filter("userPrincipalName eq 'carol@contoso.test'").get()) as { value: GraphObject[] };
    expect(found.value.map((u) => u.id)).toEqual([PEOPLE.carol]);
  });

  it('answers 404 Request_ResourceNotFound for an unknown user, and 400 for a malformed id', async () => {
    await expect(graph.api('/users/00000000-0000-4000-8000-0000000000ff').get()).rejects.toMatchObject({ statusCode: 404, code: 'Request_ResourceNotFound' });
    await expect(graph.api('/groups/not-an-id').get()).rejects.toMatchObject({ statusCode: 400, code: 'Request_BadRequest' });
  });

  it("lists a user's transitive groups and checks membership", async () => {
    const groups = await all((await graph.api(`/users/${PEOPLE.erin}/transitiveMemberOf`).get()) as PageCollection);
    expect(groups.map((g) => g.id).sort()).toEqual([GROUPS.weightsApprovers, GROUPS.securityTeam].sort());
    const direct = (await graph.api(`/users/${PEOPLE.erin}/memberOf`).get()) as { value: GraphObject[] };
    expect(direct.value.map((g) => g.id)).toEqual([GROUPS.securityTeam]);
    const check = (await graph.api(`/users/${PEOPLE.erin}/checkMemberGroups`).post({ groupIds: [GROUPS.weightsApprovers, '00000000-0000-4000-8000-000000000099'] })) as { value: string[] };
    expect(check.value).toEqual([GROUPS.weightsApprovers]);
  });

  it('resolves several objects at once with getByIds', async () => {
    const res = (await graph.api('/directoryObjects/getByIds').post({ ids: [PEOPLE.alice, GROUPS.securityTeam, PEOPLE.accessManager, '00000000-0000-4000-8000-0000000000ff'] })) as {
      value: GraphObject[];
    };
    expect(res.value.map((o) => o['@odata.type'])).toEqual(['#microsoft.graph.user', '#microsoft.graph.group', '#microsoft.graph.servicePrincipal']);
  });
});

describe('groups', () => {
  it('flattens weights-approvers transitively (erin through security-team), across pages', async () => {
    sim.knobs.graphPageSize = 2;
    const first = (await graph.api(`/groups/${GROUPS.weightsApprovers}/transitiveMembers`).get()) as PageCollection;
    expect(first.value).toHaveLength(2);
    expect(first['@odata.nextLink']).toContain('$skiptoken=');
    const members = await all(first);
    expect(members.map((m) => m.id).sort()).toEqual([PEOPLE.bob, PEOPLE.carol, PEOPLE.erin, GROUPS.securityTeam].sort());
    const erin = members.find((m) => m.id === PEOPLE.erin);
    expect(erin).toMatchObject({ '@odata.type': '#microsoft.graph.user', userPrincipalName: 'erin@contoso.test' });
    expect(members.find((m) => m.id === GROUPS.securityTeam)?.['@odata.type']).toBe('#microsoft.graph.group');
  });

  it('honours $top and lists direct members only under /members', async () => {
    const page = (await graph.api(`/groups/${GROUPS.weightsApprovers}/transitiveMembers`).top(1).get()) as PageCollection;
    expect(page.value).toHaveLength(1);
    const direct = await all((await graph.api(`/groups/${GROUPS.weightsApprovers}/members`).get()) as PageCollection);
    expect(direct.map((m) => m.id).sort()).toEqual([PEOPLE.bob, PEOPLE.carol, GROUPS.securityTeam].sort());
    const users = await all((await graph.api(`/groups/${GROUPS.weightsApprovers}/transitiveMembers/microsoft.graph.user`).get()) as PageCollection);
    expect(users.map((m) => m.id).sort()).toEqual([PEOPLE.bob, PEOPLE.carol, PEOPLE.erin].sort());
  });

  it('sees membership changes made through the state', async () => {
    sim.state.directory.addMember(GROUPS.securityTeam, PEOPLE.mallory);
    try {
      const members = await all((await graph.api(`/groups/${GROUPS.weightsApprovers}/transitiveMembers`).get()) as PageCollection);
      expect(members.map((m) => m.id)).toContain(PEOPLE.mallory);
    } finally {
      sim.state.reset();
    }
  });

  it('throttles at graphFailureRate 1', async () => {
    Object.assign(sim.knobs, { graphFailureRate: 1, armFailureStatus: 500 });
    await expect(graph.api(`/groups/${GROUPS.weightsApprovers}`).get()).rejects.toMatchObject({ statusCode: 500 });
    Object.assign(sim.knobs, { armFailureStatus: 429 });
  });
});
