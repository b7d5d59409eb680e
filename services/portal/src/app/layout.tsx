// The frame of every signed-in page: header (theme, language, user menu) and the navigation.
// Administration appears for system administrators only; pages of features still landing
// (scanners, proxy cache, retention, immutability, labels, metrics) slot into NAV when they do.
import { Anchor, AppShell, Burger, Button, Group, Menu, NavLink, ScrollArea, SegmentedControl, Text, Title, useMantineColorScheme } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation, useNavigate } from "react-router-dom";
import type { UserResp } from "../api/types.js";
import { LANGUAGES, setLanguage } from "../i18n/i18n.js";
import { useSignOut } from "./session.js";

interface NavItem {
  to: string;
  label: string;
  external?: boolean;
}

const ADMIN_NAV: NavItem[] = [
  { to: "/admin/users", label: "nav.users" },
  { to: "/admin/user-groups", label: "adminNav.groups" },
  { to: "/admin/registries", label: "nav.registries" },
  { to: "/admin/replications", label: "nav.replications" },
  { to: "/admin/scanners", label: "adminNav.scanners" },
  { to: "/admin/cve-allowlist", label: "adminNav.allowlist" },
  { to: "/admin/labels", label: "adminNav.labels" },
  { to: "/admin/gc", label: "nav.gc" },
  { to: "/admin/audit-logs", label: "nav.auditLogs" },
  { to: "/admin/system-logs", label: "nav.systemLogs" },
  { to: "/admin/configuration", label: "nav.configuration" },
  { to: "/jobs/", label: "nav.queues", external: true },
];

export function Layout({ user, children }: { user: UserResp; children: ReactNode }) {
  const { t, i18n } = useTranslation();
  const [opened, { toggle }] = useDisclosure();
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const location = useLocation();
  const navigate = useNavigate();
  const signOut = useSignOut();
  const item = (n: NavItem) =>
    n.external ? (
      <NavLink key={n.to} href={n.to} label={t(n.label)} component="a" />
    ) : (
      <NavLink key={n.to} component={Link} to={n.to} label={t(n.label)} active={location.pathname.startsWith(n.to)} />
    );
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <a href="#main" className="berth-skip-link">
        {t("app.skip")}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group>
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Navigation" />
            <Anchor component={Link} to="/projects" underline="never">
              <Title order={2} size="h3">
                ⚓ {t("app.name")}
              </Title>
            </Anchor>
          </Group>
          <Group gap="xs">
            <SegmentedControl size="xs" value={i18n.language} onChange={setLanguage} data={[...LANGUAGES]} aria-label={t("app.language")} />
            <Button variant="default" size="xs" onClick={() => setColorScheme(colorScheme === "dark" ? "light" : "dark")} aria-label={t("app.theme")}>
              {colorScheme === "dark" ? "☀" : "☾"}
            </Button>
            <Menu position="bottom-end">
              <Menu.Target>
                <Button variant="subtle" size="xs" data-testid="user-menu">
                  {user.username}
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item onClick={() => navigate("/profile")}>{t("nav.profile")}</Menu.Item>
                <Menu.Item onClick={() => void signOut()}>
                  {t("nav.signOut")}
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <ScrollArea>
          <NavLink component={Link} to="/projects" label={t("nav.projects")} active={location.pathname.startsWith("/projects")} />
          {user.sysadmin_flag && (
            <>
              <Text size="xs" c="dimmed" mt="md" mb={4} px="sm" tt="uppercase" fw={700}>
                {t("nav.administration")}
              </Text>
              {ADMIN_NAV.map(item)}
            </>
          )}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}
