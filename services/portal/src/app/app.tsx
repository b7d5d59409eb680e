// Providers and routes. Every page is its own chunk (React.lazy), loaded when first visited.
import { Center, Loader, MantineProvider, localStorageColorSchemeManager } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { ApiError } from "../api/client.js";
import { Layout } from "./layout.js";
import { cssVariablesResolver, theme } from "./theme.js";
import { useCurrentUser } from "./session.js";
import { SignInPage } from "../pages/sign-in.page.js";
import { OidcOnboardPage } from "../pages/oidc-onboard.page.js";
import { ErrorAlert } from "../components/feedback.js";


const ProjectsPage = lazy(() => import("../pages/projects.page.js").then((m) => ({ default: m.ProjectsPage })));
const ProjectPage = lazy(() => import("../pages/project/project.page.js").then((m) => ({ default: m.ProjectPage })));
const RepositoryPage = lazy(() => import("../pages/project/repository.page.js").then((m) => ({ default: m.RepositoryPage })));
const ArtifactPage = lazy(() => import("../pages/project/artifact.page.js").then((m) => ({ default: m.ArtifactPage })));
const ProfilePage = lazy(() => import("../pages/profile.page.js").then((m) => ({ default: m.ProfilePage })));
const UsersPage = lazy(() => import("../pages/admin/users.page.js").then((m) => ({ default: m.UsersPage })));
const RegistriesPage = lazy(() => import("../pages/admin/registries.page.js").then((m) => ({ default: m.RegistriesPage })));
const ReplicationsPage = lazy(() => import("../pages/admin/replications.page.js").then((m) => ({ default: m.ReplicationsPage })));
const GcPage = lazy(() => import("../pages/admin/gc.page.js").then((m) => ({ default: m.GcPage })));
const AuditLogsPage = lazy(() => import("../pages/admin/audit-logs.page.js").then((m) => ({ default: m.AuditLogsPage })));
const SystemLogsPage = lazy(() => import("../pages/admin/system-logs.page.js").then((m) => ({ default: m.SystemLogsPage })));
// admin & artifact
const ScannersPage = lazy(() => import("../pages/admin/scanners.page.js").then((m) => ({ default: m.ScannersPage })));
const AllowlistPage = lazy(() => import("../pages/admin/allowlist.page.js").then((m) => ({ default: m.AllowlistPage })));
const LabelsPage = lazy(() => import("../pages/admin/labels.page.js").then((m) => ({ default: m.LabelsPage })));
const UserGroupsPage = lazy(() => import("../pages/admin/user-groups.page.js").then((m) => ({ default: m.UserGroupsPage })));
const ConfigurationPage = lazy(() => import("../pages/admin/configuration.page.js").then((m) => ({ default: m.ConfigurationPage })));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A client's mistake or a missing right will not change by asking again.
      retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

const colorSchemeManager = localStorageColorSchemeManager({ key: "berth.color-scheme" });

function Loading() {
  return (
    <Center h="50vh">
      <Loader aria-label="Loading" />
    </Center>
  );
}

function Routed() {
  const location = useLocation();
  if (location.pathname === "/oidc-onboard") return <OidcOnboardPage />;
  return <SignedIn />;
}

function SignedIn() {
  const me = useCurrentUser();
  if (me.isPending) return <Loading />;
  if (me.error) return <ErrorAlert error={me.error} />;
  if (!me.data) return <SignInPage />;
  const admin = me.data.sysadmin_flag === true;
  return (
    <Layout user={me.data}>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route path="/" element={<Navigate to="/projects" replace />} />
          <Route path="/projects" element={<ProjectsPage />} />
          <Route path="/projects/:project/repositories/:repository/artifacts/:reference" element={<ArtifactPage />} />
          <Route path="/projects/:project/repositories/:repository" element={<RepositoryPage />} />
          <Route path="/projects/:project/:tab?" element={<ProjectPage />} />
          <Route path="/profile" element={<ProfilePage />} />
          {admin && (
            <>
              <Route path="/admin/users" element={<UsersPage />} />
              <Route path="/admin/registries" element={<RegistriesPage />} />
              <Route path="/admin/replications" element={<ReplicationsPage />} />
              <Route path="/admin/gc" element={<GcPage />} />
              <Route path="/admin/audit-logs" element={<AuditLogsPage />} />
              <Route path="/admin/system-logs" element={<SystemLogsPage />} />
              <Route path="/admin/configuration" element={<ConfigurationPage />} />
              <Route path="/admin/scanners" element={<ScannersPage />} />
              <Route path="/admin/cve-allowlist" element={<AllowlistPage />} />
              <Route path="/admin/labels" element={<LabelsPage />} />
              <Route path="/admin/user-groups" element={<UserGroupsPage />} />
            </>
          )}
          <Route path="*" element={<Navigate to="/projects" replace />} />
        </Routes>
      </Suspense>
    </Layout>
  );
}

export function App() {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} colorSchemeManager={colorSchemeManager} defaultColorScheme="auto">
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <Routed />
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}
