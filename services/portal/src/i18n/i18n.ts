// English and Chinese with i18next; the choice is remembered in localStorage, else the browser's.
import i18next from "i18next";
import { initReactI18next } from "react-i18next";
import { en } from "./en.js";
import { zh } from "./zh.js";

export const LANGUAGES = [
  { value: "en", label: "English" },
  { value: "zh", label: "中文" },
] as const;

const STORAGE_KEY = "berth.language";

function initialLanguage(): string {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === "en" || saved === "zh") return saved;
  return navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function setLanguage(lng: string): void {
  localStorage.setItem(STORAGE_KEY, lng);
  void i18next.changeLanguage(lng);
}

void i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, zh: { translation: zh } },
  lng: initialLanguage(),
  fallbackLng: "en",
  interpolation: { escapeValue: false },
});

i18next.on("languageChanged", (lng) => {
  document.documentElement.lang = lng === "zh" ? "zh-CN" : "en";
});
document.documentElement.lang = i18next.language === "zh" ? "zh-CN" : "en";

export { i18next };
