// The panels of the project's settings and policies tabs, each its own chunk (loaded when the tab
// is first opened; the project page's own chunk stays small).
import { Center, Loader, Tabs } from "@mantine/core";
import { lazy, Suspense, type ReactNode } from "react";
import type { Project } from "../../api/types.js";
import type { ProjectRights } from "./roles.js";

const LabelsTab = lazy(() => import("./labels.tab.js").then((m) => ({ default: m.LabelsTab })));
const RetentionTab = lazy(() => import("./retention.tab.js").then((m) => ({ default: m.RetentionTab })));
const ImmutabilityTab = lazy(() => import("./immutability.tab.js").then((m) => ({ default: m.ImmutabilityTab })));
const WebhooksTab = lazy(() => import("./webhooks.tab.js").then((m) => ({ default: m.WebhooksTab })));
const SettingsTab = lazy(() => import("./settings.tab.js").then((m) => ({ default: m.SettingsTab })));

function Panel({ value, children }: { value: string; children: ReactNode }) {
  return (
    <Tabs.Panel value={value} pt="md">
      <Suspense
        fallback={
          <Center h={120}>
            <Loader aria-label="Loading" />
          </Center>
        }
      >
        {children}
      </Suspense>
    </Tabs.Panel>
  );
}

export function ProjectPolicyTabs({ project, rights, sysadmin }: { project: Project; rights: ProjectRights; sysadmin: boolean }) {
  const name = project.name ?? "";
  return (
    <>
      <Panel value="labels">
        <LabelsTab projectId={project.project_id ?? 0} rights={rights} />
      </Panel>
      <Panel value="retention">
        <RetentionTab project={project} rights={rights} />
      </Panel>
      <Panel value="immutability">
        <ImmutabilityTab project={name} rights={rights} />
      </Panel>
      <Panel value="webhooks">
        <WebhooksTab project={name} rights={rights} />
      </Panel>
      <Panel value="settings">
        <SettingsTab project={project} rights={rights} sysadmin={sysadmin} />
      </Panel>
    </>
  );
}
