/**
 * The AccessManager portal, in the browser: finds out who is signed in (App Service
 * authentication's /.auth/me; nobody: off to sign-in), then routes between the pages. Built by
 * `npm run build` (esbuild) into dist/portal and served by the Function App itself.
 */
import './styles.css';
import { render } from 'preact';
import { LocationProvider, Route, Router, useLocation, useRoute } from 'preact-iso';
import type { AccessRequest } from '../shared/domain/requests/model';
import { Admin } from './pages/admin';
import { Approvals } from './pages/approvals';
import { MyGrants } from './pages/myGrants';
import { MyRequests } from './pages/myRequests';
import { RequestAccess } from './pages/requestAccess';
import { RequestDetail } from './pages/requestDetail';
import { SIGN_OUT_URL, signIn, whoAmI, type Me } from './session';
import { Alert, Page, SessionContext, html } from './ui';

const NAV: Array<{ href: string; label: string; admin?: boolean }> = [
  { href: '/request', label: 'Request access' },
  { href: '/requests', label: 'My requests' },
  { href: '/grants', label: 'My grants' },
  { href: '/approvals', label: 'Approvals' },
  { href: '/admin', label: 'Admin', admin: true },
];

function Header(props: { me: Me }) {
  const { path } = useLocation();
  const current = (href: string) => path === href || path.startsWith(`${href}/`) || (href === '/requests' && path === '/');
  return html`<header class="top">
    <a class="skip" href="#main">Skip to content</a>
    <a class="brand" href="/">AccessManager</a>
    <nav aria-label="Main">
      <ul>
        ${NAV.filter((n) => !n.admin || props.me.isAdmin).map((n) => html`<li><a href=${n.href} aria-current=${current(n.href) ? 'page' : undefined}>${n.label}</a></li>`)}
      </ul>
    </nav>
    <p class="who">Signed in as <strong>${props.me.name}</strong> <a href=${SIGN_OUT_URL}>Sign out</a></p>
  </header>`;
}

function NotFound() {
  return html`<${Page} title="Page not found"><p>Nothing here. <a href="/requests">Go to your requests</a>.</p><//>`;
}

function DetailOfMine() {
  const { params, query } = useRoute();
  return html`<${RequestDetail} id=${params.id ?? ''} context="mine" created=${query.created === '1'} />`;
}

function DetailToApprove() {
  return html`<${RequestDetail} id=${useRoute().params.id ?? ''} context="approvals" />`;
}

function RequestAccessRoute() {
  const location = useLocation();
  const created = (r: AccessRequest) => location.route(`/requests/${encodeURIComponent(r.id)}?created=1`);
  return html`<${RequestAccess} onCreated=${created} query=${location.query} />`;
}

function AdminRoute() {
  return html`<${Admin} section=${useRoute().params.section} />`;
}

function App(props: { me: Me }) {
  return html`<${SessionContext.Provider} value=${props.me}>
    <${LocationProvider} scope=${/^\/(?!\.auth\/|api\/)/}>
      <${Header} me=${props.me} />
      <main id="main">
        <${Router}>
          <${Route} path="/" component=${MyRequests} />
          <${Route} path="/requests" component=${MyRequests} />
          <${Route} path="/requests/:id" component=${DetailOfMine} />
          <${Route} path="/request" component=${RequestAccessRoute} />
          <${Route} path="/grants" component=${MyGrants} />
          <${Route} path="/approvals" component=${Approvals} />
          <${Route} path="/approvals/:id" component=${DetailToApprove} />
          <${Route} path="/admin" component=${AdminRoute} />
          <${Route} path="/admin/:section" component=${AdminRoute} />
          <${Route} default component=${NotFound} />
        <//>
      </main>
    <//>
  <//>`;
}

async function start(root: HTMLElement): Promise<void> {
  let me: Me | undefined;
  try {
    me = await whoAmI();
  } catch (err) {
    render(html`<main id="main"><${Alert} tone="error">${err instanceof Error ? err.message : String(err)}<//></main>`, root);
    return;
  }
  if (!me) {
    signIn();
    return;
  }
  root.textContent = '';
  render(html`<${App} me=${me} />`, root);
}

const root = document.getElementById('app');
if (root) void start(root);
